"""Benchmark: harvesting a generated dbt project of 1k and 10k models.

Each run is a fresh process on a fresh database: generate (once, cached) the target
folder with ``gen_dbt_manifest.py``, migrate an empty database, then time
``harvesters.runner.run_harvest`` end to end (read the artifacts, parse every model's
compiled SQL for column lineage, write assets/fields/edges/test results in one
transaction, then the outbox projections that run on commit in embedded mode).
Reports the median wall time of the runs, the time spent in the outbox projection, and
the peak resident memory of the process (``ru_maxrss``; includes Django itself).

Usage::

    .venv/bin/python benchmarks/bench_harvest.py                      # SQLite, 1k x3, 10k x1
    .venv/bin/python benchmarks/bench_harvest.py --sizes 1000 --runs 5
    .venv/bin/python benchmarks/bench_harvest.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench    # PostgreSQL
    .venv/bin/python benchmarks/bench_harvest.py --sizes 10000 --profile  # cProfile top 30

The PostgreSQL database named in the URL is dropped and re-created for every run, so
its name must contain ``bench``.
"""

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DEFAULT_WORKDIR,
    ensure_target,
    fresh_database,
    harvest_dbt,
    machine,
    median,
    peak_mb,
    run_child,
)

DEFAULT_RUNS = {1000: 3, 10000: 1}


def child(args: argparse.Namespace) -> None:
    """One measured harvest in this process; prints a JSON line with the figures."""
    target = Path(args.target)
    fresh_database(args.database_url, Path(args.workdir))
    import catalog.outbox

    outbox_seconds = [0.0]
    original = catalog.outbox.process_outbox

    def timed_outbox(*a, **kw):
        started = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            outbox_seconds[0] += time.perf_counter() - started

    catalog.outbox.process_outbox = timed_outbox
    gc_seconds = [0.0, 0.0]  # total, start of the current collection

    def gc_timer(phase, info):
        if phase == "start":
            gc_seconds[1] = time.perf_counter()
        else:
            gc_seconds[0] += time.perf_counter() - gc_seconds[1]

    gc.callbacks.append(gc_timer)
    base = peak_mb()
    cpu_started = _cpu_seconds()
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = harvest_dbt(target)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        dump = Path(args.workdir) / f"harvest_{target.name}.pstats"
        stats.dump_stats(dump)
        print(out.getvalue(), file=sys.stderr)
        print(f"profile written to {dump}", file=sys.stderr)
    print(
        json.dumps(
            {
                "status": run.status,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "load": os.getloadavg()[0],
                "outbox_seconds": outbox_seconds[0],
                "gc_seconds": gc_seconds[0],
                "base_mb": base,
                "peak_mb": peak_mb(),
                "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "counts": run.counts,
                "errors": run.errors[:3],
                "warnings": len(run.warnings),
            }
        )
    )


def _cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process and its finished children
    (the SQL-parsing worker pool), so that runs compare fairly on a loaded machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    """Parse arguments, run each size the requested number of times, print a table."""
    parser = argparse.ArgumentParser(description="Benchmark the dbt harvest.")
    parser.add_argument("--sizes", default="1000,10000", help="model counts, comma-separated")
    parser.add_argument("--runs", type=int, help="runs per size (default 3 for 1k, 1 for 10k)")
    parser.add_argument("--database-url", help="PostgreSQL URL (db name must contain 'bench')")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="cProfile each run (slower)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    workdir = Path(args.workdir)
    backend = "postgresql" if args.database_url else "sqlite"
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        target = ensure_target(size, workdir, args.seed)
        mb = sum(f.stat().st_size for f in target.glob("*.json")) / 1e6
        runs = args.runs or DEFAULT_RUNS.get(size, 1)
        results = []
        for i in range(runs):
            child_args = ["--target", str(target), "--workdir", str(workdir)]
            if args.database_url:
                child_args += ["--database-url", args.database_url]
            if args.profile:
                child_args.append("--profile")
            result = run_child(Path(__file__), child_args)
            if result["status"] != "succeeded":
                print(
                    f"run {i + 1}: status {result['status']}: {result['errors']}", file=sys.stderr
                )
            print(
                f"  {size} models, run {i + 1}/{runs}: {result['seconds']:.1f} s "
                f"(CPU {result['cpu_seconds']:.1f} s, load {result['load']:.1f}, "
                f"GC in the harvest process {result['gc_seconds']:.1f} s), "
                f"peak {result['peak_mb']:.0f} MB (workers {result['workers_peak_mb']:.0f} MB)",
                file=sys.stderr,
            )
            results.append(result)
        counts = results[0]["counts"]
        rows.append(
            {
                "models": size,
                "artifacts_mb": mb,
                "runs": runs,
                "backend": backend,
                "median_s": median([r["seconds"] for r in results]),
                "cpu_s": median([r["cpu_seconds"] for r in results]),
                "load": max(r["load"] for r in results),
                "workers_mb": max(r["workers_peak_mb"] for r in results),
                "outbox_s": median([r["outbox_seconds"] for r in results]),
                "peak_mb": max(r["peak_mb"] for r in results),
                "base_mb": results[0]["base_mb"],
                "assets": counts.get("datasets", 0) + counts.get("jobs", 0),
                "fields": counts.get("fields", 0),
                "edges": counts.get("lineage_edges", 0),
                "field_edges": counts.get("field_lineage_edges", 0),
                "tests": counts.get("quality_results", 0),
            }
        )
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """Print the results as a Markdown table (ready for the README)."""
    print(f"\nHarvest benchmark ({machine()})\n")
    head = (
        "| models | artifacts MB | backend | runs | median s | CPU s | load | of which outbox s | "
        "peak MB (base) | worker MB | assets | fields | lineage edges | column edges | tests |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in rows:
        print(
            f"| {r['models']} | {r['artifacts_mb']:.1f} | {r['backend']} | {r['runs']} | "
            f"{r['median_s']:.2f} | {r['cpu_s']:.1f} | {r['load']:.1f} | {r['outbox_s']:.2f} | "
            f"{r['peak_mb']:.0f} ({r['base_mb']:.0f}) | {r['workers_mb']:.0f} | {r['assets']} | {r['fields']} | {r['edges']} | "
            f"{r['field_edges']} | {r['tests']} |"
        )


if __name__ == "__main__":
    main()
