"""Precision and recall of harvesters.sqlparsing.lineage.parse_sql_lineage over the case corpus
(tests/harvesters/sqlparsing/cases/*.yaml), per category and per dialect, at table level (inputs
and outputs) and column level (source column → target column edges, types ignored, and
typed), plus the parse time per case.

    .venv/bin/python benchmarks/bench_sqllineage.py [more_cases_dir] [--dbt-models N]

A further folder of YAML files in the same format may be given to score other cases.
``--dbt-models N`` also times the parser on the compiled SQL of a generated dbt project of
N models (``gen_dbt_manifest.py``, with its catalog as schema): median / p95 per model.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harvesters.sqlparsing.cases.scoring import (  # noqa: E402
    actual_edges,
    expected_edges,
    load_cases,
    lower,
    run,
)


def _counts(expected: set, actual: set) -> tuple[int, int, int]:
    return len(expected & actual), len(actual - expected), len(expected - actual)


def _ratio(tp: int, other: int) -> float:
    return 1.0 if tp + other == 0 else tp / (tp + other)


def time_dbt(count: int) -> None:
    """Parse every model of a generated dbt project; print median / p95 / total."""
    from benchmarks.gen_dbt_manifest import generate
    from harvesters.sqlparsing.lineage import parse_sql_lineage

    manifest, catalog, _ = generate(count, 42)
    schema: dict = {}
    for node in catalog["nodes"].values():
        meta = node["metadata"]
        schema.setdefault(meta["database"], {}).setdefault(meta["schema"], {})[meta["name"]] = {
            c: v["type"] for c, v in node["columns"].items()
        }
    models = [n for n in manifest["nodes"].values() if n.get("compiled_code")]
    times, edges, errors = [], 0, 0
    for node in models:
        start = time.perf_counter()
        result = parse_sql_lineage(
            node["compiled_code"], "duckdb", node["database"], node["schema"], schema
        )
        times.append(time.perf_counter() - start)
        edges += len(result.column_lineage)
        errors += len(result.errors)
    times.sort()
    print(
        f"dbt project: {len(models)} models, median {statistics.median(times) * 1000:.2f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.2f} ms, total {sum(times):.2f} s, "
        f"{edges} column edges, {errors} errors"
    )


def main() -> None:
    args = sys.argv[1:]
    if "--dbt-models" in args:
        at = args.index("--dbt-models")
        dbt_models = int(args[at + 1])
        del args[at : at + 2]
    else:
        dbt_models = 0
    cases = load_cases()
    for folder in args:
        for path in sorted(Path(folder).glob("*.yaml")):
            cases += yaml.safe_load(path.read_text()) or []
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 9)
    times = []
    for case in cases:
        start = time.perf_counter()
        result = run(case)
        times.append(time.perf_counter() - start)
        exp_t = {("in", n) for n in lower(case.get("inputs"))} | {
            ("out", n) for n in lower(case.get("outputs"))
        }
        act_t = {("in", n) for n in lower(result.inputs)} | {
            ("out", n) for n in lower(result.outputs)
        }
        row = [
            *_counts(exp_t, act_t),
            *_counts(expected_edges(case), actual_edges(result)),
            *_counts(expected_edges(case, True), actual_edges(result, True)),
        ]
        for key in (("category", case["category"]), ("dialect", case.get("dialect") or "")):
            totals[key] = [a + b for a, b in zip(totals[key], row, strict=True)]
        totals[("all", "all")] = [a + b for a, b in zip(totals[("all", "all")], row, strict=True)]
    header = f"{'group':<28}{'table P':>9}{'table R':>9}{'col P':>8}{'col R':>8}{'typed P':>9}{'typed R':>9}"
    print(f"{len(cases)} cases")
    print(header)
    for key in sorted(totals, key=lambda k: (k[0] != "all", k)):
        t = totals[key]
        cells = []
        for offset in (0, 3, 6):
            tp, fp, fn = t[offset : offset + 3]
            cells += [_ratio(tp, fp), _ratio(tp, fn)]
        print(f"{key[0] + ':' + key[1]:<28}" + "".join(f"{v:>9.3f}" for v in cells))
    print(
        f"parse time per case: median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms"
    )
    if dbt_models:
        time_dbt(dbt_models)


if __name__ == "__main__":
    main()
