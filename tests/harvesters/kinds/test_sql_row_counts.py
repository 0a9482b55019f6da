"""A failed row count keeps the table (issue 17, item 6), live on PostgreSQL.

A role that may read the catalog but not SELECT one table harvests a database of three
tables: the forbidden table is still harvested, without a row count and with a warning;
the others keep their counts (the failed count's aborted transaction is rolled back and
the next count runs in a transaction of its own)."""

import os
import uuid

import psycopg
import pytest

from catalog.models import Asset

SERVER = os.environ.get("MESH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture
def locked_database():
    """A throw-away database with tables a, b (SELECT granted) and secret (not), and a
    login role ``reader_<id>``; yields ``(sqlalchemy url, database name)``; drops both."""
    suffix = uuid.uuid4().hex[:8]
    dbname, role = f"rowcount_{suffix}", f"reader_{suffix}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{dbname}"')
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        with psycopg.connect(f"{SERVER}/{dbname}", autocommit=True) as conn:
            for table, rows in (("a", 3), ("secret", 2), ("z", 5)):
                conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, name text)")
                conn.execute(f"INSERT INTO {table} SELECT g, 'x' FROM generate_series(1, {rows}) g")
            conn.execute(f'GRANT SELECT ON a, z TO "{role}"')
            conn.execute(f'REVOKE ALL ON secret FROM "{role}"')
        host = SERVER.split("://", 1)[1].split("@")[-1]
        yield f"postgresql+psycopg://{role}@{host}/{dbname}", dbname
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def test_failed_row_count_keeps_the_table_with_a_warning(make_source, harvest, locked_database):
    url, dbname = locked_database
    run = harvest(make_source("locked", "sql", {"url": url}))
    assert run.status == "succeeded", run.errors
    assert run.errors == []
    counts = {a.name: a.row_count for a in Asset.objects.filter(qualified_name__startswith=dbname)}
    assert counts == {"a": 3, "secret": None, "z": 5}
    assert run.counts["datasets"] == 3 and run.counts["fields"] == 6
    [warning] = [w for w in run.warnings if "secret" in w["item"]]
    assert warning["item"] == "public.secret"
    assert "row count skipped" in warning["message"]
    assert "permission denied" in warning["message"]


def test_row_counts_do_not_hold_locks_across_tables(make_source, harvest, locked_database):
    """Every count ends its transaction: after a harvest the source connection holds no
    relation lock of the counted tables (checked from the harvester's own introspector)."""
    import sqlalchemy as sa

    from harvesters.kinds.sql.introspect import SAIntrospector

    url, _ = locked_database
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        introspector = SAIntrospector(conn)
        for table in ("a", "z"):
            introspector.row_count("public", table)
            introspector.end_transaction()
        held = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid = pg_backend_pid() AND c.relname IN ('a', 'z')"
            )
        ).scalar_one()
    engine.dispose()
    assert held == 0
