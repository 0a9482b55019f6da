"""Benchmark: the catalog's own usage on the hot path, and the monthly rollup.

Records ``--views`` asset page views (:func:`usage.catalog_usage.record_view`, one upsert
each) by 200 users and anonymous viewers over 500 assets, spread over 400 days (10% from
a search result); reports the median and p95 time per view and views/s. Then rolls up
what is older than 180 days (:func:`usage.rollup.rollup_usage`) and reports its time
and the rows before/after. Each run is a fresh process on a freshly migrated database.

Usage::

    .venv/bin/python benchmarks/bench_page_views.py                     # 20k views
    .venv/bin/python benchmarks/bench_page_views.py --database-url postgres://postgres@127.0.0.1:5432/mc_bench_views
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, run_child  # noqa: E402

ASSETS, USERS, DAYS = 500, 200, 400
MAX_VIEWS = 200_000  # bound


def child(args: argparse.Namespace) -> None:
    """One measured run in this process; prints a JSON line with the figures."""
    fresh_database(args.database_url, Path(args.workdir))
    from django.contrib.auth import get_user_model

    from catalog.models import Asset
    from usage.catalog_usage import record_view
    from usage.models import AssetView
    from usage.rollup import rollup_usage

    Asset.objects.bulk_create(
        Asset(urn=f"urn:mc:dataset:pg://b/t{i}", namespace="pg://b", qualified_name=f"t{i}",
              name=f"t{i}", platform="postgres")
        for i in range(ASSETS)
    )  # fmt: skip
    ids = list(Asset.objects.values_list("id", flat=True))
    User = get_user_model()
    User.objects.bulk_create(User(username=f"u{i}") for i in range(USERS))
    users = list(User.objects.all()) + [None] * (USERS // 4)
    anonymous = type("Anonymous", (), {"is_authenticated": False, "pk": None})()
    rng = random.Random(args.seed)
    end = datetime(2026, 12, 7, 12, tzinfo=UTC)
    times = []
    for i in range(args.views):
        user = rng.choice(users) or anonymous
        now = end - timedelta(days=DAYS * i // args.views)
        started = time.perf_counter()
        record_view(rng.choice(ids), user, clicked=rng.random() < 0.1, now=now)
        times.append(time.perf_counter() - started)
    rows = AssetView.objects.count()
    started = time.perf_counter()
    done = rollup_usage(end, retention_days=180)
    rollup_s = time.perf_counter() - started
    times.sort()
    print(json.dumps({
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "views_per_s": len(times) / sum(times),
        "rows": rows, "rollup_s": rollup_s, "rolled": done.get("usage_assetview"),
        "rows_after": AssetView.objects.count(), "load": os.getloadavg()[0],
    }))  # fmt: skip


def main() -> None:
    """Parse arguments, run the child, print a Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark page-view recording and rollup.")
    parser.add_argument("--views", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="PostgreSQL URL (db name must contain 'bench')")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.views > MAX_VIEWS:
        raise SystemExit(f"--views is bounded at {MAX_VIEWS}")
    if args.child:
        child(args)
        return
    child_args = ["--views", str(args.views), "--seed", str(args.seed), "--workdir", args.workdir]
    if args.database_url:
        child_args += ["--database-url", args.database_url]
    r = run_child(Path(__file__), child_args)
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"\nPage-view recording benchmark ({machine()})\n")
    print("| views | backend | median ms/view | p95 ms | views/s | rows | rollup s "
          "| rolled rows before → after | rows after | load |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    rolled = r["rolled"] or [0, 0]
    print(
        f"| {args.views:,} | {backend} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} "
        f"| {r['views_per_s']:,.0f} | {r['rows']:,} | {r['rollup_s']:.2f} "
        f"| {rolled[0]:,} → {rolled[1]:,} | {r['rows_after']:,} | {r['load']:.1f} |"
    )


if __name__ == "__main__":
    main()
