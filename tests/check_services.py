"""Fail loudly (exit 1) when a service the test suite must exercise is missing.

CI must fail, not skip, when PostgreSQL or Redis is unreachable. Reads
``PG_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``) and ``REDIS_URL``
(default ``redis://127.0.0.1:6379/0``).
"""

import os
import sys

import psycopg
import redis


def main() -> int:
    """Check each service; print what is missing and return 1, else 0."""
    problems = []
    pg_url = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    pg_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(pg_url, connect_timeout=5).close()
    except Exception as exc:
        problems.append(f"PostgreSQL at {pg_url} is not reachable: {exc}")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(redis_url, socket_timeout=5).ping()
    except Exception as exc:
        problems.append(f"Redis at {redis_url} is not reachable: {exc}")
    for p in problems:
        print(f"service check failed: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
