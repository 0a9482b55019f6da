"""Benchmark: the product list and a product page with many products, SLOs and samples.

Builds (not timed) ``--products`` data products (default 100) in a fresh database, each
with an output port and two SLOs of ``--samples`` samples (default 60) in their window,
then times ``GET /products/`` and ``GET /products/<uid>/`` through Django's test client
(signed in; templates rendered) ``--runs`` times each (default 5) and prints the median,
min and max milliseconds and the SQL queries per request (which must not grow with the
number of products: the pages read every SLO's samples in one query).

Usage::

    .venv/bin/python benchmarks/bench_pages.py                        # SQLite
    .venv/bin/python benchmarks/bench_pages.py --products 500 --runs 9
    .venv/bin/python benchmarks/bench_pages.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench     # PostgreSQL

The PostgreSQL database named in the URL is dropped and re-created, so its name must
contain ``bench``.
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, median  # noqa: E402


def build(products: int, samples: int) -> str:
    """Write the products; returns the uid of the middle one."""
    from django.utils import timezone

    from products.models import SLO, DataProduct, OutputPort, SLISample, Team

    team = Team.objects.create(slug="bench", name="Bench")
    now, rows = timezone.now(), []
    for k in range(products):
        product = DataProduct.objects.create(
            uid=f"p{k}", name=f"Product {k}", owner_team=team, status="active"
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
    return f"p{products // 2}"


def main() -> None:
    """Build the products, then time the two pages; prints a Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark the products pages.")
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--samples", type=int, default=60, help="samples per SLO")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR / "pages")
    args = parser.parse_args()
    fresh_database(args.database_url, args.workdir)

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    uid = build(args.products, args.samples)
    client = Client()
    client.force_login(User.objects.create_user("bench"))
    database = connection.vendor
    print(f"machine: {machine()}", file=sys.stderr)
    print(
        "| products | samples/SLO | database | page | queries | runs | median ms | min ms | max ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for url in ("/products/", f"/products/{uid}/"):
        client.get(url)  # warm-up: sessions, templates
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"| {args.products} | {args.samples} | {database} | `{url}` | "
            f"{len(queries.captured_queries)} | {args.runs} | {median(times):.1f} | "
            f"{min(times):.1f} | {max(times):.1f} |"
        )


if __name__ == "__main__":
    main()
