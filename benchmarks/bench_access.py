"""Benchmark: the access inbox and My access with many requests.

Builds (not timed) ``--requests`` access requests (default 10,000) in a fresh database:
``--products`` products (default 100) of one team whose owner is the approver, one
output port each, and ``--consumers`` consumers (default 50); a third of the requests
open, the rest spread over the grant states. Then times ``GET /access/inbox/`` (as the
approver), ``GET /access/mine/`` (as the busiest consumer), ``GET /access/badge`` and
the API list ``GET /api/v1/access-requests?scope=to_approve`` through Django's test
client ``--runs`` times each (default 20) and prints median, p95 and max milliseconds
and SQL queries per request. Queries must not grow with the number of rows (pages are
paginated, 50 per page, with select_related); the target is p95 ≤ 100 ms on SQLite.

Usage::

    .venv/bin/python benchmarks/bench_access.py                       # SQLite, 10,000
    .venv/bin/python benchmarks/bench_access.py --requests 1000 --runs 9
    .venv/bin/python benchmarks/bench_access.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench_access

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

STATES = ["requested", "active", "expired", "revoked", "denied", "withdrawn"]


def build(requests: int, products: int, consumers: int):
    """Write the rows; returns ``(approver, busiest consumer)``."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from access.models import AccessRequest
    from products.models import DataProduct, OutputPort, Team, TeamMembership

    approver = User.objects.create_user("approver")
    team = Team.objects.create(slug="bench", name="Bench")
    TeamMembership.objects.create(team=team, user=approver, role="owner")
    users = User.objects.bulk_create([User(username=f"c{i}") for i in range(consumers)])
    ports = []
    for k in range(products):
        product = DataProduct.objects.create(uid=f"p{k}", name=f"Product {k}", owner_team=team)
        ports.append(OutputPort.objects.create(product=product, name="out"))
    today, now = timezone.now().date(), timezone.now()
    rows, open_keys = [], set()
    for i in range(requests):
        state = STATES[i % len(STATES)] if i % 3 else "requested"
        consumer, port = users[i % consumers], ports[(i // consumers) % products]
        level = "read"
        if state == "requested":
            key = (consumer.pk, port.pk)
            if key in open_keys:
                state = "active"
            open_keys.add(key)
        rows.append(
            AccessRequest(
                consumer=consumer,
                port=port,
                level=level,
                state=state,
                purpose=f"bench purpose {i}",
                end_date=today + timedelta(days=30 + i % 300),
                created_at=now - timedelta(minutes=i),
            )
        )
    AccessRequest.objects.bulk_create(rows, batch_size=2000)
    return approver, users[0]


def main() -> None:
    """Build the rows, then time the pages; prints a Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark the access pages.")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--consumers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR / "access")
    args = parser.parse_args()
    fresh_database(args.database_url, args.workdir)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from access.models import AccessRequest

    approver, consumer = build(args.requests, args.products, args.consumers)
    print(f"machine: {machine()}", file=sys.stderr)
    print(
        f"rows: {AccessRequest.objects.count()} requests, "
        f"{AccessRequest.objects.filter(state='requested').count()} open",
        file=sys.stderr,
    )
    print("| requests | database | page | user | queries | runs | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    pages = [
        ("/access/inbox/", approver),
        ("/access/badge", approver),
        ("/api/v1/access-requests?scope=to_approve", approver),
        ("/access/mine/", consumer),
    ]
    for url, user in pages:
        client = Client()
        client.force_login(user)
        client.get(url)  # warm-up: sessions, templates
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(
            f"| {args.requests} | {connection.vendor} | `{url}` | {user.username} | "
            f"{len(queries.captured_queries)} | {args.runs} | {median(times):.1f} | "
            f"{p95:.1f} | {max(times):.1f} |"
        )


if __name__ == "__main__":
    main()
