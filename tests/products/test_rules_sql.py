"""SLO check SQL only reads: a rule's query must be one SELECT/WITH statement, and every
check runs on a read-only connection. Live on SQLite, PostgreSQL and DuckDB."""

import sqlite3

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

from catalog.models import Asset, AssetSource, Source
from products.checks import CheckError, read_only_connection, read_only_query, run_check
from products.models import SLO, DataProduct, OutputPort

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "mc_prules_src"

REFUSED = {
    "SELECT count(*) FROM events; DROP TABLE events": "2 statements",
    "SELECT count(*) FROM events; DELETE FROM events; COMMIT": "3 statements",
    "DELETE FROM events": "DELETE is not a SELECT/WITH query",
    "DELETE FROM events RETURNING id": "DELETE is not a SELECT/WITH query",
    "UPDATE events SET note = 'x'": "UPDATE is not a SELECT/WITH query",
    "DROP TABLE events": "DROP is not a SELECT/WITH query",
    "PRAGMA query_only = OFF": "is not a SELECT/WITH query",
    "COMMIT": "is not a SELECT/WITH query",
    "WITH d AS (DELETE FROM events RETURNING id) SELECT count(*) FROM d": "contains DELETE",
    "SELECT * INTO stolen FROM events": "contains INTO",
    "SELECT count(*) FROM events FOR UPDATE": "contains LOCK",
    "": "0 statements",
    " ; ": "0 statements",
}


@pytest.mark.parametrize(("sql", "reason"), REFUSED.items())
def test_only_one_select_or_with_query_is_accepted(sql, reason):
    with pytest.raises(CheckError) as caught:
        read_only_query(sql, "postgresql")
    assert str(caught.value).startswith("query refused: ") and reason in str(caught.value)


def test_read_queries_are_accepted_and_run_as_parsed():
    assert read_only_query("select count(*) from events where id < 0;", "sqlite") == (
        "SELECT COUNT(*) FROM events WHERE id < 0"
    )
    with_query = "WITH x AS (SELECT id FROM events) SELECT count(*) FROM x"
    assert read_only_query(with_query, "postgresql").startswith("WITH x AS")
    assert read_only_query("SELECT 1 UNION SELECT 2", "duckdb") == "SELECT 1 UNION SELECT 2"
    # a string that looks like a second statement stays a string
    assert "DROP" in read_only_query("SELECT 'x; DROP TABLE events'", "postgresql")


def _quality_slo(url: str, qualified: str, platform: str, rules: list[dict]) -> SLO:
    product = DataProduct.objects.create(uid="p", name="P")
    source = Source.objects.create(name=f"src-{platform}", kind="sql", config={"url": url})
    asset = Asset.objects.create(
        urn=f"urn:mc:dataset:{platform}://x/{qualified}",
        namespace=f"{platform}://x",
        name="events",
        qualified_name=qualified,
        platform=platform,
    )
    AssetSource.objects.create(asset=asset, source=source)
    port = OutputPort.objects.create(product=product, name="out", version="1", asset=asset)
    return SLO.objects.create(port=port, name="q", kind="quality", threshold=1.0, rules=rules)


def _refused_rules_leave_the_table_alone(url: str, qualified: str, platform: str, count):
    """Each writing rule gives an error sample naming the refusal; the table keeps its rows;
    a reading rule still passes."""
    ok = _quality_slo(url, qualified, platform, [{"query": "SELECT count(*) FROM events"}])
    ok.rules = [{"query": "SELECT count(*) FROM events", "mustBe": 3}]
    ok.save()
    assert run_check(ok).value == 1.0
    for sql, reason in REFUSED.items():
        if not sql.strip():
            continue
        ok.rules = [{"query": "SELECT count(*) FROM events", "mustBe": 3}, {"query": sql}]
        ok.save()
        sample = run_check(ok)
        assert sample.value is None and sample.good is False, sql
        assert sample.error.startswith("CheckError: query refused: "), (sql, sample.error)
        assert reason in sample.error, (sql, sample.error)
        assert count() == 3, sql


def _sqlite_events(path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE events (id INTEGER, note TEXT)")
    con.executemany("INSERT INTO events VALUES (?, ?)", [(1, "a"), (2, None), (3, "c")])
    con.commit()
    con.close()


def _sqlite_count(path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        con.close()


def test_sqlite_checks_refuse_writes(db, tmp_path):
    path = tmp_path / "src events.sqlite"  # a space: the read-only URI is quoted
    _sqlite_events(path)
    _refused_rules_leave_the_table_alone(
        f"sqlite:///{path}", "src.main.events", "sqlite", lambda: _sqlite_count(path)
    )


def test_sqlite_connection_is_read_only(tmp_path):
    path = tmp_path / "src.sqlite"
    _sqlite_events(path)
    with read_only_connection(f"sqlite:///{path}") as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 3
        for sql in ("DELETE FROM events", "CREATE TABLE t (a int)"):
            with pytest.raises(sa.exc.OperationalError, match="readonly|read-only"):
                conn.execute(sa.text(sql))
    assert _sqlite_count(path) == 3
    # a missing file is an error, not a new empty database
    with (
        pytest.raises(sa.exc.OperationalError),
        read_only_connection(f"sqlite:///{tmp_path}/missing.sqlite") as conn,
    ):
        conn.execute(sa.text("SELECT 1"))
    assert not (tmp_path / "missing.sqlite").exists()


def test_duckdb_connection_is_read_only(tmp_path):
    path = tmp_path / "src.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE events AS SELECT * FROM range(3) t(id)")
    con.close()
    with read_only_connection(f"duckdb:///{path}") as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 3
        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            conn.execute(sa.text("DELETE FROM events"))
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    con.close()


@pytest.fixture
def pg_source():
    """A scratch PostgreSQL database with ``events`` (3 rows) and a sequence ``seq``;
    yields its SQLAlchemy URL and a row counter."""
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {PG_DB}")
    dsn = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    with psycopg.connect(dsn) as con:
        con.execute("CREATE TABLE events (id int, note text)")
        con.execute("INSERT INTO events VALUES (1, 'a'), (2, NULL), (3, 'c')")
        con.execute("CREATE SEQUENCE seq")

    def count() -> int:
        with psycopg.connect(dsn) as con:
            return con.execute("SELECT count(*) FROM events").fetchone()[0]

    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}", count, dsn
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.close()


@pytest.mark.postgres
def test_postgresql_checks_refuse_writes(db, pg_source):
    url, count, _ = pg_source
    _refused_rules_leave_the_table_alone(url, f"{PG_DB}.public.events", "postgres", count)


@pytest.mark.postgres
def test_postgresql_checks_run_in_a_read_only_transaction(db, pg_source):
    """A SELECT with a side effect passes the statement check; the transaction stops it."""
    url, count, dsn = pg_source
    slo = _quality_slo(
        url, f"{PG_DB}.public.events", "postgres", [{"query": "SELECT nextval('seq')", "mustBe": 1}]
    )
    sample = run_check(slo)
    assert sample.good is False and "read-only transaction" in sample.error, sample.error
    with psycopg.connect(dsn) as con:
        assert con.execute("SELECT last_value, is_called FROM seq").fetchone() == (1, False)
    with read_only_connection(url) as conn:
        assert conn.execute(sa.text("SHOW transaction_read_only")).scalar() == "on"
        assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            conn.execute(sa.text("DELETE FROM events"))
    assert count() == 3
