"""Benchmark: what authentication costs an API request (issue 10's hashed, scoped tokens).

Builds (not timed) ``--products`` data products in a fresh database, then times
``GET /api/v1/products`` through Django's test client ``--runs`` times (default 200) for
each way of calling: anonymous (``MESH_PUBLIC_READ``), a DRF token not yet migrated, a
hashed API token (``Authorization: Bearer``), and a session; prints the median, min and
max milliseconds and the SQL queries per request.

Usage::

    .venv/bin/python benchmarks/bench_auth.py                      # SQLite
    .venv/bin/python benchmarks/bench_auth.py --runs 500 \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench  # PostgreSQL (dropped!)
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, median  # noqa: E402


def main() -> None:
    """Build the data, then time each way of calling; prints a Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark API authentication.")
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR / "auth")
    args = parser.parse_args()
    fresh_database(args.database_url, args.workdir)

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from identity.models import ApiToken
    from products.models import DataProduct, Team

    team = Team.objects.create(slug="bench", name="Bench")
    for k in range(args.products):
        DataProduct.objects.create(uid=f"p{k}", name=f"P {k}", owner_team=team, status="active")
    user = User.objects.create_user("bench")
    legacy = Token.objects.create(user=user).key
    _, key = ApiToken.issue(user, "bench", ["read"], None)
    session = Client()
    session.force_login(user)
    callers = {
        "anonymous": (Client(), {}),
        "DRF token (legacy)": (Client(), {"HTTP_AUTHORIZATION": f"Token {legacy}"}),
        "API token (Bearer)": (Client(), {"HTTP_AUTHORIZATION": f"Bearer {key}"}),
        "session": (session, {}),
    }
    print(f"machine: {machine()}", file=sys.stderr)
    print("| caller | database | queries | runs | median ms | min ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for name, (client, headers) in callers.items():
        client.get("/api/v1/products", **headers)  # warm-up
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get("/api/v1/products", **headers)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        print(
            f"| {name} | {connection.vendor} | {len(queries.captured_queries)} | {args.runs} | "
            f"{median(times):.2f} | {min(times):.2f} | {max(times):.2f} |"
        )


if __name__ == "__main__":
    main()
