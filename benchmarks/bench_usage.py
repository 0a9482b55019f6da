"""Benchmark: harvesting a generated query log with the ``usage`` source kind.

The log (JSON lines, the generic query-log format) has ``--lines`` statements drawn from
``--shapes`` distinct query shapes (SELECT with filters, joins of two tables, GROUP BY
with IN lists, INSERT … SELECT, UPDATE) over 500 catalog tables of 12 columns, run by
300 users over 30 days; shape popularity is Zipf-like (a few shapes make most of the
log), each shape is run by 1–4 users and literals differ on every line. Each run is a
fresh process on a freshly migrated database holding the 500 tables; it times
``run_harvest`` end to end (read, normalise, parse each shape once, count, write the
usage tables and lineage, popularity, outbox) and reports lines/s and the peak resident
memory (``VmHWM``, includes Django and sqlglot).

Usage::

    .venv/bin/python benchmarks/bench_usage.py                        # 100k lines x3
    .venv/bin/python benchmarks/bench_usage.py --lines 1000000 --runs 1
    .venv/bin/python benchmarks/bench_usage.py --database-url postgres://postgres@127.0.0.1:5432/mc_bench
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, median, peak_mb, run_child  # noqa: E402

TABLES, COLUMNS, USERS, DAYS = 500, 12, 300, 30
NAMESPACE = "postgres://bench:5432"
MAX_LINES = 5_000_000  # bound: never generate more


def shape_templates(shapes: int, rng: random.Random) -> list[str]:
    """``shapes`` distinct query templates with ``{n}``/``{s}`` literal slots."""
    out, seen = [], set()
    while len(out) < shapes:
        kind = rng.randrange(5)
        x, y = rng.randrange(TABLES), rng.randrange(TABLES)
        a, b, c = (rng.randrange(COLUMNS) for _ in range(3))
        if kind == 0:
            text = f"SELECT c{a}, c{b} FROM t{x} WHERE c{c} = {{n}}"
        elif kind == 1:
            text = (f"SELECT l.c{a}, r.c{b} FROM t{x} l JOIN t{y} r ON l.c0 = r.c0 "
                    f"WHERE l.c{c} > {{n}}")  # fmt: skip
        elif kind == 2:
            text = f"SELECT c{a}, count(*) FROM t{x} WHERE c{c} IN ({{n}}, {{n}}) GROUP BY c{a}"
        elif kind == 3:
            text = f"INSERT INTO t{y} (c{a}) SELECT c{b} FROM t{x} WHERE c{c} = '{{s}}'"
        else:
            text = f"UPDATE t{x} SET c{a} = {{n}} WHERE c{c} = '{{s}}'"
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def generate(path: Path, lines: int, shapes: int, seed: int) -> None:
    """Write the log (deterministic for a seed)."""
    rng = random.Random(seed)
    templates = shape_templates(shapes, rng)
    weights = [1.0 / (i + 1) ** 0.9 for i in range(shapes)]
    owners = [[rng.randrange(USERS) for _ in range(rng.randint(1, 4))] for _ in range(shapes)]
    start = date(2026, 1, 1)
    picks = rng.choices(range(shapes), weights=weights, k=lines)
    with path.open("w") as fh:
        for i, k in enumerate(picks):
            text = templates[k].replace("{n}", str(rng.randrange(10_000)), 1)
            text = text.replace("{n}", str(rng.randrange(10_000))).replace("{s}", f"v{i % 997}")
            day = start + timedelta(days=i * DAYS // lines)
            line = {
                "query": text,
                "user": f"user{rng.choice(owners[k])}",
                "start_time": f"{day.isoformat()}T{i % 24:02d}:00:00Z",
                "duration_ms": i % 500,
                "database": "bench",
                "default_schema": "public",
                "rows": i % 100,
            }
            fh.write(json.dumps(line) + "\n")


def ensure_log(workdir: Path, lines: int, shapes: int, seed: int) -> Path:
    """The generated log (written once per size, shapes and seed)."""
    if lines > MAX_LINES:
        raise SystemExit(f"--lines is bounded at {MAX_LINES}")
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"querylog_{lines}_{shapes}_seed{seed}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        generate(tmp, lines, shapes, seed)
        tmp.rename(path)
    return path


def child(args: argparse.Namespace) -> None:
    """One measured harvest in this process; prints a JSON line with the figures."""
    fresh_database(args.database_url, Path(args.workdir))
    from catalog.models import Asset, Field, Source
    from catalog.urns import dataset_urn
    from harvesters.runner import run_harvest

    Asset.objects.bulk_create(
        Asset(urn=dataset_urn(NAMESPACE, f"bench.public.t{i}"), namespace=NAMESPACE,
              qualified_name=f"bench.public.t{i}", name=f"t{i}", platform="postgres")
        for i in range(TABLES)
    )  # fmt: skip
    ids = dict(Asset.objects.values_list("name", "id"))
    Field.objects.bulk_create(
        Field(asset_id=ids[f"t{i}"], name=f"c{c}", ordinal=c)
        for i in range(TABLES)
        for c in range(COLUMNS)
    )
    source = Source.objects.create(
        name="bench-usage",
        kind="usage",
        config={"path": args.log, "namespace": NAMESPACE, "platform": "postgres"},
    )
    base = peak_mb()
    started = time.perf_counter()
    run = run_harvest(source)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "status": run.status, "seconds": seconds, "base_mb": base, "peak_mb": peak_mb(),
        "load": os.getloadavg()[0],
        "counts": run.counts, "errors": run.errors[:3],
    }))  # fmt: skip


def main() -> None:
    """Parse arguments, generate the log, run the harvests, print a Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark the usage (query-log) harvest.")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--shapes", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="PostgreSQL URL (db name must contain 'bench')")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    workdir = Path(args.workdir)
    log = ensure_log(workdir, args.lines, args.shapes, args.seed)
    results = []
    for i in range(args.runs):
        child_args = ["--log", str(log), "--workdir", str(workdir)]
        if args.database_url:
            child_args += ["--database-url", args.database_url]
        result = run_child(Path(__file__), child_args)
        print(f"  run {i + 1}/{args.runs}: {result['status']} {result['seconds']:.1f} s, "
              f"peak {result['peak_mb']:.0f} MB", file=sys.stderr)  # fmt: skip
        results.append(result)
    seconds = median([r["seconds"] for r in results])
    counts = results[0]["counts"]
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"\nUsage harvest benchmark ({machine()})\n")
    print("| lines | shapes | backend | runs | median s | lines/s | read s | parse s | store s "
          "| peak MB (base) | load | statements | unparsed | tables | lineage edges |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.lines:,} | {counts.get('query_shapes', 0):,} | {backend} | {args.runs} "
        f"| {seconds:.1f} | {args.lines / seconds:,.0f} "
        f"| {counts.get('read_seconds', 0):.1f} | {counts.get('parse_seconds', 0):.1f} "
        f"| {counts.get('store_seconds', 0):.1f} "
        f"| {max(r['peak_mb'] for r in results):.0f} ({results[0]['base_mb']:.0f}) "
        f"| {max(r['load'] for r in results):.1f} "
        f"| {counts.get('statements', 0):,} | {counts.get('statements_unparsed', 0):,} "
        f"| {counts.get('tables', 0):,} | {counts.get('lineage_edges', 0):,} |"
    )


if __name__ == "__main__":
    main()
