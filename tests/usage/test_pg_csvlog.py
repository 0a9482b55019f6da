"""The ``usage`` kind reading PostgreSQL's CSV log (``mode: pg-csvlog``), tested with a
real log: a throwaway cluster (its own folder and loopback port; the shared server is
never reconfigured) logs in csvlog format the statements of four roles, three with
``log_min_duration_statement = 0`` (psycopg: ``statement`` records with their duration,
and ``execute`` records for a query with a parameter) and one with ``log_statement = 'all'`` + ``log_duration`` (psql, simple
protocol: a ``statement`` record, then a bare ``duration`` record). Fails, never skips,
when the PostgreSQL binaries are missing."""

import subprocess
import time

import psycopg
import pytest
from django.db.models import Sum

from catalog.models import Asset
from catalog.urns import dataset_urn
from lineage.models import LineageEdge
from tests.usage.pg_cluster import BIN, throwaway_cluster
from usage.models import Popularity, UsageDay
from usage.queries import asset_usage

SETUP = """
CREATE TABLE customers (id int PRIMARY KEY, name text, country text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total numeric, status text);
CREATE TABLE order_archive (id int PRIMARY KEY, customer_id int, total numeric, status text);
INSERT INTO customers VALUES (1, 'Ann', 'FR'), (2, 'Bo', 'DE');
INSERT INTO orders VALUES (1, 1, 10, 'done'), (2, 2, 20, 'open');
CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE dave LOGIN;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO alice, bob, carol, dave;
GRANT INSERT ON order_archive TO dave;
ALTER ROLE alice SET log_min_duration_statement = 0;
ALTER ROLE bob SET log_min_duration_statement = 0;
ALTER ROLE dave SET log_min_duration_statement = 0;
ALTER ROLE carol SET log_statement = 'all';
ALTER ROLE carol SET log_duration = on;
"""


@pytest.fixture(scope="module")
def csvlog():
    """``(server url, log folder)`` after the roles ran their statements."""
    settings = {
        "logging_collector": "on",
        "log_destination": "csvlog",
        "log_directory": "log",
        "log_filename": "pg.log",
    }
    with throwaway_cluster(**settings) as (url, folder):
        with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE shop")
        with psycopg.connect(f"{url}/shop", autocommit=True) as conn:
            conn.execute(SETUP)
        host = url.replace("postgres@", "{}@") + "/shop"
        with psycopg.connect(host.format("alice"), autocommit=True) as conn:
            for country in ("FR", "DE"):
                conn.execute(f"SELECT name FROM customers WHERE country = '{country}'")
            # with a parameter: the extended protocol (parse, bind, execute records)
            conn.execute("SELECT name FROM customers WHERE country = %s", ("US",))
            with pytest.raises(psycopg.errors.UndefinedColumn):
                conn.execute("SELECT nope FROM customers")  # an ERROR record: not usage
        with psycopg.connect(host.format("bob"), autocommit=True) as conn:
            for _ in range(2):
                conn.execute(
                    "SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id"
                )
        port = url.rsplit(":", 1)[1]
        for status in ("done", "open"):
            subprocess.run(
                [str(BIN / "psql"), "-h", "127.0.0.1", "-p", port, "-U", "carol", "-d", "shop",
                 "-c", f"SELECT count(*) FROM orders WHERE status = '{status}'"],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
        with psycopg.connect(host.format("dave"), autocommit=True) as conn:
            conn.execute("INSERT INTO order_archive SELECT * FROM orders WHERE status = 'done'")
        log = folder / "data" / "log" / "pg.csv"
        for _ in range(100):  # the logging collector writes asynchronously
            if log.exists() and b"INSERT INTO order_archive" in log.read_bytes():
                break
            time.sleep(0.1)
        yield url, log.parent


def test_pg_csvlog_harvest(make_source, harvest, csvlog):
    url, log_dir = csvlog
    shop = f"postgresql+psycopg://postgres@{url.split('@', 1)[1]}/shop"
    assert harvest(make_source("shop", "sql", {"url": shop})).status == "succeeded"
    config = {"mode": "pg-csvlog", "path": str(log_dir), "url": shop, "databases": ["shop"]}
    run = harvest(make_source("shop-log", "usage", config))
    assert run.status == "succeeded", (run.errors, run.warnings)
    assert run.counts["lines"] == 8 and run.counts["statements"] == 8
    assert run.counts["query_shapes"] == 4 and not run.counts.get("statements_unparsed")
    namespace = "postgres://" + url.split("@", 1)[1]

    def asset(name: str) -> Asset:
        return Asset.objects.get(urn=dataset_urn(namespace, f"shop.public.{name}"))

    customers, orders, archive = asset("customers"), asset("orders"), asset("order_archive")
    usage = asset_usage(customers)
    assert usage["totals"] == {"queries": 5, "writes": 0, "users": 2, "rows": 0}
    assert usage["top_users"] == [{"user": "alice", "queries": 3}, {"user": "bob", "queries": 2}]
    assert [(q["query"], q["queries"]) for q in usage["top_queries"]] == [
        ("SELECT name FROM customers WHERE country = ?", 3),
        ("SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id", 2),
    ]
    assert asset_usage(orders)["top_users"] == [
        {"user": "bob", "queries": 2},
        {"user": "carol", "queries": 2},
        {"user": "dave", "queries": 1},
    ]
    assert asset_usage(archive)["totals"] == {"queries": 1, "writes": 1, "users": 1, "rows": 0}
    # every statement carries the duration the server logged
    durations = UsageDay.objects.filter(asset=orders).aggregate(ms=Sum("duration_ms"))["ms"]
    assert durations > 0
    assert LineageEdge.objects.filter(upstream=orders, downstream=archive).count() == 1
    scores = dict(Popularity.objects.values_list("asset__name", "score"))
    assert scores == {"customers": 100.0, "orders": 100.0, "order_archive": 33.33}


def test_pg_csvlog_bad_records_are_named(make_source, harvest, csvlog, tmp_path):
    _, log_dir = csvlog
    real = (log_dir / "pg.csv").read_bytes()
    line = next(x for x in real.splitlines(True) if b"execute <unnamed>: SELECT name" in x)
    bad = real + b"not,a,record\n" + line.replace(b"customers", b"cust\xffomers")
    path = tmp_path / "pg.csv"
    path.write_bytes(bad + b'2026-12-07 10:00:00.000 UTC,"alice","shop",1,"127.0.0.1:1","x",1,')
    config = {"mode": "pg-csvlog", "path": str(path), "namespace": "postgres://h:5432"}
    run = harvest(make_source("shop-log-bad", "usage", config))
    assert run.status == "partial"
    n = real.count(b"\n")
    assert [(e["item"], e["message"]) for e in run.errors] == [
        (f"pg.csv:{n + 1}", "3 columns, a csvlog record has at least 23"),
        (f"pg.csv:{n + 2}", "not UTF-8"),
        (f"pg.csv:{n + 3}", "8 columns, a csvlog record has at least 23"),
    ]
    assert run.counts["lines"] == 8  # the real statements are all kept


def test_pg_csvlog_config_and_missing_log(make_source, harvest, tmp_path):
    from harvesters.base import ConfigError
    from harvesters.registry import validate_source_config

    with pytest.raises(ConfigError, match="pg-csvlog needs 'path' and 'namespace'"):
        validate_source_config("usage", {"mode": "pg-csvlog", "path": "/x.csv"})
    config = {"mode": "pg-csvlog", "path": str(tmp_path), "namespace": "postgres://h:5432"}
    run = harvest(make_source("empty-dir", "usage", config))
    assert run.status == "failed" and run.errors[0]["message"] == f"no *.csv log in {tmp_path}"
