"""Loads the Chinook sample into the local PostgreSQL server (database ``chinook``).

``ensure_chinook(script)`` runs ``Chinook_PostgreSql.sql`` with ``psql`` as user
``postgres`` unless database ``chinook`` already exists with its 11 tables. The script
drops and re-creates the database, so the load runs under a PostgreSQL advisory lock
(parallel test processes wait for each other) and never when the tables are present.
Raises RuntimeError (the test then fails, it is never skipped) if the server is down or
the load fails.
"""

import os
import shutil
import subprocess
from pathlib import Path

import psycopg

SERVER = os.environ.get("MESH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
CHINOOK_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/chinook"
EXPECTED_TABLES = 11
LOCK_ID = 7_341_001


def _table_count(dbname: str) -> int | None:
    """Number of base tables in ``public`` of ``dbname``; None if the database is missing."""
    try:
        with psycopg.connect(f"{SERVER}/{dbname}", connect_timeout=5) as conn:
            return conn.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchone()[0]
    except psycopg.OperationalError as exc:
        if 'database "chinook" does not exist' in str(exc) or "does not exist" in str(exc):
            return None
        raise


def ensure_chinook(script: Path) -> str:
    """Make sure database ``chinook`` holds the Chinook tables; return its SQLAlchemy URL."""
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", connect_timeout=5, autocommit=True)
    except psycopg.OperationalError as exc:
        raise RuntimeError(f"PostgreSQL is not reachable at {SERVER}: {exc}") from None
    with admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        try:
            if _table_count("chinook") == EXPECTED_TABLES:
                return CHINOOK_URL
            psql = shutil.which("psql")
            if psql is None:
                raise RuntimeError("psql is needed to load Chinook into PostgreSQL")
            done = subprocess.run(
                [
                    psql,
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-f",
                    str(script),
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"loading {script} failed: {done.stderr[-2000:]}")
            if _table_count("chinook") != EXPECTED_TABLES:
                raise RuntimeError("Chinook loaded but the 11 tables are not all there")
            return CHINOOK_URL
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
