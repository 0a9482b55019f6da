"""Fail loudly (exit 1) when a service the test suite must exercise is missing.

CI must fail, not skip, when PostgreSQL, Redis or MariaDB is unreachable. Reads
``PG_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``), ``REDIS_URL``
(default ``redis://127.0.0.1:6379/0``) and ``MESH_TEST_MARIADB`` (default
``mysql+pymysql://mesh@127.0.0.1:3306``).
"""

import os
import sys

import psycopg
import pymysql
import redis
from sqlalchemy.engine import make_url


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
    mariadb_url = os.environ.get("MESH_TEST_MARIADB", "mysql+pymysql://mesh@127.0.0.1:3306")
    try:
        url = make_url(mariadb_url)
        pymysql.connect(
            host=url.host,
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            connect_timeout=5,
        ).close()
    except Exception as exc:
        problems.append(f"MariaDB at {mariadb_url} is not reachable: {exc}")
    for p in problems:
        print(f"service check failed: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
