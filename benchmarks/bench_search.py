"""Search benchmark: p50/p95 server time of representative queries on a generated catalog.

Usage::

    # through the database (100k): generate, then index with rebuild_index (timed)
    .venv/bin/python benchmarks/gen_catalog.py 100000
    .venv/bin/python benchmarks/bench_search.py 100000 --rebuild
    # index only (1M): gen_catalog.py bulk-loads the index from generated documents
    .venv/bin/python benchmarks/gen_catalog.py 1000000 --index-only
    .venv/bin/python benchmarks/bench_search.py 1000000

Uses the index ``<workdir>/search_<N>.sqlite3``; with ``--rebuild`` first rebuilds it
from ``<workdir>/catalog_<N>.sqlite3`` (or DATABASE_URL) with the search projection (what
``manage.py rebuild_index`` runs). Then times, in this process, :func:`catalog.search.search` /
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


def sample_names(backend, n: int = 8) -> list[str]:
    """``n`` asset names spread over the index (read from the SQLite index itself)."""
    with backend._read() as conn:
        g = backend._generation(conn)
        top = conn.execute(f"SELECT max(id) FROM docs_{g}").fetchone()[0] or 0
        step = max(1, top // n)
        ids = list(range(1, top + 1, step))[:n]
        return [
            r[0]
            for r in conn.execute(
                f"SELECT name FROM docs_{g} WHERE id IN ({','.join('?' * len(ids))})", ids
            )
        ]


def main() -> None:
    """CLI: ``bench_search.py N [--workdir DIR] [--rebuild] [--repeat R] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="catalog size made by gen_catalog.py")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mesh_search_bench"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from the DB")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{args.workdir / f'catalog_{args.n}.sqlite3'}")
    os.environ["MESH_VAR_DIR"] = str(args.workdir)
    os.environ["MESH_SEARCH_PATH"] = str(args.workdir / f"search_{args.n}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from catalog.search import get_search_backend, search, suggest

    backend = get_search_backend()
    report: dict = {"cores": len(os.sched_getaffinity(0)), "load": os.getloadavg()[0]}
    if args.rebuild:
        from catalog.search.projection import SearchProjection

        started = time.monotonic()
        report["indexed"] = SearchProjection().rebuild()
        report["rebuild_seconds"] = round(time.monotonic() - started, 1)
    report["documents"] = backend.count()
    index = Path(os.environ["MESH_SEARCH_PATH"])
    report["index_mb"] = round(index.stat().st_size / 1e6, 1)
    timings: dict[str, list[float]] = {}
    slowest: dict[str, tuple[float, object]] = {}
    for kind, items in queries(sample_names(backend)).items():
        for fn, arg in items:
            call = (
                (lambda a=arg: suggest(a, 10))
                if fn == "suggest"
                else (lambda a=arg: search(a[0], a[1], 1, 20))
            )
            call()  # warm-up
            for _ in range(args.repeat):
                started = time.perf_counter()
                call()
                ms = (time.perf_counter() - started) * 1000
                timings.setdefault(kind, []).append(ms)
                if ms > slowest.get(kind, (0, None))[0]:
                    slowest[kind] = (round(ms, 1), arg)
    timings["all"] = [t for k in list(timings) for t in timings[k]]
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
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print({k: v for k, v in report.items() if k not in ("ms", "slowest")})
    print(f"{'kind':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'n':>5}  slowest query")
    for kind, row in report["ms"].items():
        print(
            f"{kind:<8} {row['p50']:>8} {row['p95']:>8} {row['max']:>8} {row['n']:>5}"
            f"  {slowest.get(kind, ('', ''))[1]}"
        )


if __name__ == "__main__":
    main()
