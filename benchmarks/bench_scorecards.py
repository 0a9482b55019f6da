"""Benchmark: the scorecards page (and the products list filtered ``?failing=``) with
the scorecard cache off (every request runs every policy on every product: the
behaviour before the cache) and on (warm: one ``get_many`` of the cached cards).

Builds (not timed) ``--products`` data products (default 50, at most 2,000) in two
domains, each with an output port and two SLOs of ``--samples`` samples (default 30),
then times each URL ``--runs`` times (default 5) through Django's test client (signed
in; templates rendered) with ``MESH_SCORECARD_CACHE_SECONDS=0`` and with the default
TTL, printing a Markdown table of queries per request and median / min / max ms.

Usage::

    .venv/bin/python benchmarks/bench_scorecards.py
    .venv/bin/python benchmarks/bench_scorecards.py --products 200 --runs 7
    .venv/bin/python benchmarks/bench_scorecards.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench   # dropped, re-created
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, median  # noqa: E402


def build(products: int, samples: int) -> None:
    """Write the products (half in each domain), ports, SLOs and samples."""
    from django.utils import timezone

    from products.models import SLO, DataProduct, Domain, OutputPort, SLISample, Team

    team = Team.objects.create(slug="bench", name="Bench")
    domains = [Domain.objects.create(slug=s, name=s.title()) for s in ("sales", "ops")]
    now, rows = timezone.now(), []
    for k in range(products):
        product = DataProduct.objects.create(
            uid=f"p{k}",
            name=f"Product {k}",
            owner_team=team if k % 3 else None,
            purpose="bench" if k % 2 else "",
            domain=domains[k % 2],
            status="active",
        )
        port = OutputPort.objects.create(product=product, name="out")
        for kind in ("volume", "completeness"):
            slo = SLO.objects.create(port=port, name=kind, kind=kind, min_value=1, threshold=0.1)
            rows += [
                SLISample(
                    slo=slo, observed_at=now - timedelta(hours=i * 8), value=5, good=i % 7 > 0
                )
                for i in range(samples)
            ]
    SLISample.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    """Build the products, then time the pages with the cache off and on."""
    parser = argparse.ArgumentParser(description="Benchmark the scorecards page cache.")
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--samples", type=int, default=30, help="samples per SLO")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR / "scorecards")
    args = parser.parse_args()
    args.products = max(1, min(args.products, 2000))
    args.runs = max(1, min(args.runs, 50))
    fresh_database(args.database_url, args.workdir)

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    build(args.products, args.samples)
    client = Client()
    client.force_login(User.objects.create_user("bench"))
    print(f"machine: {machine()}", file=sys.stderr)
    print("| products | database | page | cache | queries | runs | median ms | min ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for url in ("/scorecards/", "/products/?failing=owner-description"):
        for label, seconds in (("off", 0), ("on (warm)", 120)):
            with override_settings(MESH_SCORECARD_CACHE_SECONDS=seconds):
                client.get(url)  # warm-up: sessions, templates, and the cache when on
                times = []
                for _ in range(args.runs):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        response = client.get(url)
                        times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
            print(
                f"| {args.products} | {connection.vendor} | `{url}` | {label} | "
                f"{len(queries.captured_queries)} | {args.runs} | {median(times):.1f} | "
                f"{min(times):.1f} | {max(times):.1f} |"
            )


if __name__ == "__main__":
    main()
