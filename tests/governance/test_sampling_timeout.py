"""Classification sampling of a slow source (issue 15 follow-up): a real slow query
(a PostgreSQL view sleeping with ``pg_sleep``; an SQLite view counting through a
recursive CTE) runs past the source's ``timeout_seconds``; the harvest run succeeds,
with a "classification sampling: ..." warning naming the view, and the column still
gets its proposal from its name. Both sources are harvested for real after the
receiver of governance (``MESH_CLASSIFY_ON_HARVEST``) is on."""

import os
import sqlite3
import time
import uuid

import psycopg
import pytest

from catalog.models import Source
from governance.models import ColumnClass, SourceSampling
from harvesters.runner import run_harvest

pytestmark = pytest.mark.django_db(transaction=True)
SERVER = os.environ.get("MESH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
SLEEP = 30  # seconds the PostgreSQL view would take; the sampling timeout is 0.5 s


@pytest.fixture
def slow_pg_source():
    """A PostgreSQL database with a table and a view that sleeps ``SLEEP`` s."""
    name = f"mesh_gov15b_slow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"{SERVER}/{name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE people (id int, email text)")
            conn.execute("INSERT INTO people VALUES (1, 'ann@example.com'), (2, 'bo@example.com')")
            conn.execute(
                "CREATE VIEW slow_people AS SELECT p.id, p.email FROM people p"
                f" CROSS JOIN LATERAL (SELECT pg_sleep({SLEEP})) s"
            )
        url = f"{SERVER.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
        yield Source.objects.create(
            name="slow-pg", kind="sql", config={"url": url, "row_counts": False}
        )
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def slow_sqlite_source(tmp_path):
    """An SQLite file whose view walks a recursive CTE of 10^9 steps before its row."""
    path = tmp_path / "slow.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (id INTEGER, email TEXT)")
        conn.execute("INSERT INTO people VALUES (1, 'ann@example.com')")
        conn.execute(
            "CREATE VIEW slow_people AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
            " SELECT x + 1 FROM c WHERE x < 1000000000) SELECT p.id, p.email FROM people p,"
            " c WHERE c.x = 1000000000"
        )
    return Source.objects.create(
        name="slow-sqlite", kind="sql", config={"url": f"sqlite:///{path}", "row_counts": False}
    )


def harvest_with_slow_sampling(source):
    SourceSampling.objects.create(source=source, rows=10, timeout_seconds=0.5)
    started = time.monotonic()
    run = run_harvest(source)
    seconds = time.monotonic() - started
    run.refresh_from_db()  # the governance receiver adds its warnings after the run ended
    return run, seconds


def check(run, seconds):
    assert run.status == "succeeded", run.errors
    assert not run.errors
    sampling = [w for w in run.warnings if "classification sampling" in w["message"]]
    slow = [w for w in sampling if w["item"].endswith("slow_people")]
    assert slow, run.warnings
    message = slow[0]["message"]
    assert "timed out after 0.5 s" in message or "statement timeout" in message, message
    assert "postgres@" not in message  # no URL in a warning
    assert seconds < SLEEP / 2  # the sleeping view did not hold the harvest
    # the table sampled fine; the view's e-mail column is still proposed from its name
    email = ColumnClass.objects.get(asset__name="slow_people", field_name="email")
    assert email.method == "name" and email.status == "proposed"
    table = ColumnClass.objects.get(asset__name="people", field_name="email")
    assert table.method == "values"


def test_a_postgresql_sampling_timeout_is_a_warning(slow_pg_source):
    check(*harvest_with_slow_sampling(slow_pg_source))
    # the cancelled session did not stay behind sleeping
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        time.sleep(0.5)
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%slow_people%'"
            " AND state = 'active' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert left == 0


def test_an_sqlite_sampling_timeout_is_a_warning(slow_sqlite_source):
    check(*harvest_with_slow_sampling(slow_sqlite_source))
