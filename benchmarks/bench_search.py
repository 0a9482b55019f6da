"""Search benchmark: p50/p95 server time of representative queries on a generated catalog.

Usage::

    # through the database (100k): generate, then index with rebuild_index (timed)
    .venv/bin/python benchmarks/gen_catalog.py 100000
    .venv/bin/python benchmarks/bench_search.py 100000 --rebuild
    # index only (1M): gen_catalog.py bulk-loads the index from generated documents
    .venv/bin/python benchmarks/gen_catalog.py 1000000 --index-only
    .venv/bin/python benchmarks/bench_search.py 1000000

    # compare the embedded index with OpenSearch (a node is started unless --opensearch-url)
    .venv/bin/python benchmarks/bench_search.py 100000 --rebuild --backends sqlite,opensearch

Uses the index ``<workdir>/search_<N>.sqlite3`` (SQLite) or the alias ``mesh-bench-<N>``
(OpenSearch, see ``benchmarks/search_backends.py``); with ``--rebuild`` first rebuilds
each from ``<workdir>/catalog_<N>.sqlite3`` (or DATABASE_URL) with the search projection
(what ``manage.py rebuild_index`` runs). Then times, in this process, :func:`catalog.search.search` /
:func:`catalog.search.suggest` (what the API views call: the server time, without HTTP):

- exact: the full name of 8 assets spread over the index;
- prefix: autocomplete (``suggest``) of 2–6 letters;
- typo: misspelt words (``custmer``, ``invoce``, ...), frequent and rare;
- words: free text from the commonest business word (``customer``, in ~15 % of assets)
  down to rare ones, one and two words;
- faceted: a word plus multi-valued platform / tag / type filters, and browsing with
  filters but no text.

Each query runs ``--repeat`` times after one warm-up (no result cache exists, so repeats
measure the steady state with a warm page cache); prints p50 / p95 / max in ms per kind
and overall as a table (and JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def queries(sample_names: list[str]) -> dict[str, list[tuple[str, object]]]:
    """Query sets per kind: ``("search", (q, filters))`` or ``("suggest", prefix)``."""
    return {
        "exact": [("search", (n, {})) for n in sample_names],
        "prefix": [
            ("suggest", p)
            for p in ("cu", "cust", "ord", "pay", "inv", "stg_cu", "fct_or", "sensor")
        ],
        "typo": [
            ("search", (q, {}))
            for q in (
                "custmer",
                "cusomers",
                "invoce",
                "paymnet",
                "shipmnt",
                "subscripton",
                "warehose",
                "sensr",
            )
        ],  # fmt: skip
        "words": [
            ("search", (q, {}))
            for q in (
                "customer",
                "order",
                "customer orders",
                "product daily",
                "warehouse",
                "invoice amount",
                "sensor",
                "dividend",
            )
        ],  # fmt: skip
        "faceted": [
            ("search", ("customer", {"platform": ["postgres", "snowflake"]})),
            ("search", ("order", {"tag": ["pii"], "type": ["table", "view"]})),
            ("search", ("revenue daily", {"platform": ["dbt"]})),
            ("search", ("", {"type": ["view"]})),
            ("search", ("", {"tag": ["gold"], "platform": ["bigquery"]})),
            ("search", ("payment", {"owner": ["owner1@example.com"]})),
            ("search", ("", {"source": ["src-3"], "type": ["dashboard"]})),
            ("search", ("customer", {"tag": ["certified"]})),
        ],
    }


def sample_names(n: int, count: int = 8, seed: int = 7) -> list[str]:
    """``count`` asset names spread over the generated catalog (the same for every
    backend: read from the generator, not from an index)."""
    from gen_catalog import asset_specs

    step = max(1, n // count)
    return [s["name"] for s in asset_specs(n, seed) if s["i"] % step == 0][:count]


def measure(search, suggest, names: list[str], repeat: int) -> tuple[dict, dict]:
    """``(timings ms per kind, slowest per kind)`` of every query, ``repeat`` times
    after one warm-up."""
    timings: dict[str, list[float]] = {}
    slowest: dict[str, tuple[float, object]] = {}
    for kind, items in queries(names).items():
        for fn, arg in items:
            call = (
                (lambda a=arg: suggest(a, 10))
                if fn == "suggest"
                else (lambda a=arg: search(a[0], a[1], 1, 20))
            )
            call()  # warm-up
            for _ in range(repeat):
                started = time.perf_counter()
                call()
                ms = (time.perf_counter() - started) * 1000
                timings.setdefault(kind, []).append(ms)
                if ms > slowest.get(kind, (0, None))[0]:
                    slowest[kind] = (round(ms, 1), arg)
    timings["all"] = [t for k in list(timings) for t in timings[k]]
    return timings, slowest


def bench_backend(name: str, args, url: str | None) -> dict:
    """Rebuild (with ``--rebuild``) and time the queries on backend ``name``."""
    from search_backends import backend_config, index_mb, use_backend

    from catalog.search import search, suggest

    config = backend_config(name, args.workdir, args.n, url)
    backend = use_backend(config)
    report: dict = {"backend": name, "load": os.getloadavg()[0]}
    if args.rebuild:
        from catalog.search.projection import SearchProjection

        started = time.monotonic()
        report["indexed"] = SearchProjection().rebuild()
        report["rebuild_seconds"] = round(time.monotonic() - started, 1)
    report["documents"] = backend.count()
    report["index_mb"] = index_mb(name, backend, config)
    timings, slowest = measure(search, suggest, sample_names(args.n), args.repeat)
    report["ms"] = {
        kind: {
            "p50": round(statistics.median(ts), 1),
            "p95": round(percentile(ts, 0.95), 1),
            "max": round(max(ts), 1),
            "n": len(ts),
        }
        for kind, ts in timings.items()
    }
    report["slowest"] = slowest
    report["load_after"] = os.getloadavg()[0]
    return report


def main() -> None:
    """CLI: ``bench_search.py N [--workdir DIR] [--rebuild] [--repeat R] [--json]
    [--backends sqlite,opensearch] [--opensearch-url URL]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="catalog size made by gen_catalog.py")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mesh_search_bench"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from the DB")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--backends", default="sqlite", help="comma-separated: sqlite,opensearch")
    parser.add_argument("--opensearch-url", help="an OpenSearch server (default: start one)")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{args.workdir / f'catalog_{args.n}.sqlite3'}")
    os.environ["MESH_VAR_DIR"] = str(args.workdir)
    os.environ["MESH_SEARCH_PATH"] = str(args.workdir / f"search_{args.n}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "benchmarks"))
    import django

    django.setup()
    from search_backends import opensearch

    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    reports = []
    with contextlib.ExitStack() as stack:
        url = (
            stack.enter_context(opensearch(args.workdir, args.opensearch_url))
            if ("opensearch" in names)
            else None
        )
        for name in names:
            reports.append(bench_backend(name, args, url))
    cores = len(os.sched_getaffinity(0))
    if args.json:
        print(json.dumps({"cores": cores, "reports": reports}, indent=2))
        return
    for report in reports:
        print({"cores": cores, **{k: v for k, v in report.items() if k not in ("ms", "slowest")}})
        print(f"{'kind':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'n':>5}  slowest query")
        for kind, row in report["ms"].items():
            print(
                f"{kind:<8} {row['p50']:>8} {row['p95']:>8} {row['max']:>8} {row['n']:>5}"
                f"  {report['slowest'].get(kind, ('', ''))[1]}"
            )


if __name__ == "__main__":
    main()
