"""The ``usage`` source kind end to end: a generated query log over Chinook (SQLite) and
the jaffle shop (DuckDB), harvested by the ``sql`` kind first; exact counts, top users,
column usage, co-used tables, lineage from INSERT … SELECT, popularity in search, and
every bad line named in the run report. Runs on SQLite and on PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Asset, Source
from catalog.search.documents import iter_documents
from catalog.urns import dataset_urn
from harvesters.base import ConfigError
from harvesters.registry import validate_source_config
from lineage.models import FieldLineageEdge, LineageEdge
from tests.usage.conftest import CHINOOK_NS, JAFFLE_NS
from tests.usage.querylog import jaffle_log
from usage.harvester import UsageHarvester
from usage.models import ColumnUsageDay, Popularity, UsageDay
from usage.queries import asset_usage, top_assets


def chinook(name: str) -> Asset:
    return Asset.objects.get(urn=dataset_urn(CHINOOK_NS, f"Chinook_Sqlite.main.{name}"))


def jaffle(name: str) -> Asset:
    return Asset.objects.get(urn=dataset_urn(JAFFLE_NS, f"jaffle_shop.main.{name}"))


def test_counts_per_asset_and_day(harvested):
    _, _, today = harvested
    yesterday = today - timedelta(days=1)
    customer = asset_usage(chinook("Customer"))
    assert customer["totals"] == {"queries": 8, "writes": 0, "users": 2, "rows": 36}
    assert customer["daily"] == [
        {"day": yesterday, "queries": 5, "users": 1, "rows": 15, "monthly": False},
        {"day": today, "queries": 3, "users": 1, "rows": 21, "monthly": False},
    ]
    assert customer["top_users"] == [
        {"user": "alice", "queries": 5},
        {"user": "bob", "queries": 3},
    ]
    assert customer["co_used"] == [
        {"urn": chinook("Invoice").urn, "name": "Invoice", "known": True, "queries": 3}
    ]
    assert [(q["query"], q["queries"]) for q in customer["top_queries"]] == [
        ("SELECT FirstName, LastName FROM Customer WHERE Country = ?", 5),
        (
            "SELECT c.FirstName, i.Total FROM Customer c JOIN Invoice i "
            "ON i.CustomerId = c.CustomerId WHERE i.Total > ?",
            3,
        ),
    ]
    columns = {
        c["column"]: (c["selected"], c["filtered"], c["joined"]) for c in customer["columns"]
    }
    assert columns == {
        "FirstName": (8, 0, 0),
        "LastName": (5, 0, 0),
        "Country": (0, 5, 0),
        "CustomerId": (0, 0, 3),
    }
    invoice = asset_usage(chinook("Invoice"))
    assert invoice["totals"] == {"queries": 3, "writes": 0, "users": 1, "rows": 21}
    assert {
        c["column"]: (c["selected"], c["filtered"], c["joined"]) for c in invoice["columns"]
    } == {
        "Total": (3, 3, 0),
        "CustomerId": (0, 0, 3),
    }
    assert asset_usage(chinook("Playlist"))["totals"] == {
        "queries": 1, "writes": 1, "users": 1, "rows": 25,
    }  # fmt: skip
    orders = asset_usage(jaffle("orders"))
    assert orders["totals"]["queries"] == 6
    assert orders["top_users"] == [{"user": "dave", "queries": 4}, {"user": "erin", "queries": 2}]


def test_unknown_tables_are_kept_as_unknown(harvested):
    row = UsageDay.objects.get(urn__endswith="audit_trail")
    assert (row.asset_id, row.queries) == (None, 1)
    assert row.urn == dataset_urn(CHINOOK_NS, "chinook_sqlite.main.audit_trail")


def test_run_report_names_bad_lines(harvested):
    run, jaffle_run, _ = harvested
    assert jaffle_run.status == "succeeded", jaffle_run.errors
    assert jaffle_run.counts["lines"] == 6 and jaffle_run.counts["query_shapes"] == 2
    assert run.status == "partial"
    errors = {e["item"]: e["message"] for e in run.errors}
    assert set(errors) == {
        "chinook-usage.jsonl:14",
        "chinook-usage.jsonl:15",
        "chinook-usage.jsonl:16",
        "chinook-usage.jsonl:18",
    }
    assert errors["chinook-usage.jsonl:14"].startswith("not JSON")
    assert errors["chinook-usage.jsonl:15"] == "not UTF-8 (bad byte at column 19)"
    assert errors["chinook-usage.jsonl:16"] == "missing key 'user'"
    assert errors["chinook-usage.jsonl:18"].startswith("truncated")
    warnings = {w["item"]: w["message"] for w in run.warnings}
    assert warnings["chinook-usage.jsonl:17"] == "unknown key(s) ignored: warehouse"
    assert warnings["chinook-usage.jsonl:13"].startswith("query not used: could not parse")
    assert "not in the catalog" in warnings["table chinook_sqlite.main.audit_trail"]
    counts = run.counts
    assert (counts["lines"], counts["statements"], counts["statements_unparsed"]) == (14, 14, 1)
    assert (counts["query_shapes"], counts["tables"], counts["tables_unknown"]) == (7, 7, 1)


def test_insert_select_gives_lineage(harvested):
    source = Source.objects.get(name="chinook-usage")
    edges = LineageEdge.objects.filter(origin=source)
    assert [(e.upstream.name, e.downstream.name) for e in edges] == [("Genre", "Playlist")]
    fields = FieldLineageEdge.objects.filter(origin=source)
    assert sorted(
        (f.upstream.name, f.downstream.name, f.transformation, f.subtype) for f in fields
    ) == [
        ("GenreId", "PlaylistId", "DIRECT", "TRANSFORMATION"),
        ("Name", "Name", "DIRECT", "IDENTITY"),
    ]


def test_popularity_percentiles_feed_search(harvested):
    scores = {p.asset.name: p.score for p in Popularity.objects.select_related("asset")}
    assert scores == {
        "Customer": 100.0,
        "orders": 87.5,
        "Invoice": 75.0,
        "Track": 62.5,
        "customers": 62.5,
        "Genre": 37.5,
        "Playlist": 37.5,
        "Album": 37.5,
    }
    docs = {d["name"]: d["popularity"] for d in iter_documents([chinook("Customer").id,
                                                               chinook("Employee").id])}  # fmt: skip
    assert docs == {"Customer": 100.0, "Employee": 0.0}
    top = top_assets(limit=3)
    assert [(t["name"], t["queries"], t["users"]) for t in top] == [
        ("Customer", 8, 2), ("orders", 6, 2), ("Invoice", 3, 1),
    ]  # fmt: skip
    assert [t["name"] for t in top_assets(platform="duckdb")] == ["orders", "customers"]


def test_reharvest_replaces_not_doubles(harvested, harvest):
    source = Source.objects.get(name="chinook-usage")
    harvest(source)
    assert asset_usage(chinook("Customer"))["totals"]["queries"] == 8
    assert ColumnUsageDay.objects.filter(source=source, column="FirstName").count() == 2
    assert LineageEdge.objects.filter(origin=source).count() == 1


def test_config_is_checked(db):
    with pytest.raises(ConfigError, match="unknown key 'pth'"):
        validate_source_config("usage", {"pth": "x.jsonl", "namespace": "n"})
    with pytest.raises(ConfigError, match="needs 'path' and 'namespace'"):
        validate_source_config("usage", {"path": "x.jsonl"})
    with pytest.raises(ConfigError, match="needs 'url'"):
        validate_source_config("usage", {"mode": "pg_stat_statements"})


def test_missing_log_fails_the_run(make_source, harvest, tmp_path):
    run = harvest(make_source("u", "usage", {"path": str(tmp_path / "no.jsonl"), "namespace": "x"}))
    assert run.status == "failed"
    assert "cannot read query log" in run.errors[0]["message"]
    assert "No such file" in run.errors[0]["message"]


def test_kind_registered_by_the_usage_app(db):
    from harvesters import registry

    assert registry.HARVESTERS["usage"] == "usage.harvester.UsageHarvester"
    assert registry.register_kind("usage.harvester.UsageHarvester") == "usage"  # idempotent
    with pytest.raises(ValueError, match="already taken"):
        registry.register_kind("tests.usage.test_harvest.SqlImpostor")


class SqlImpostor(UsageHarvester):
    """A class claiming the ``sql`` kind another class owns."""

    kind = "sql"


def test_compute_popularity_over_another_window(harvested):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("compute_popularity", days=1, stdout=out)  # today only: alice's day drops
    assert out.getvalue() == "3 popularity scores changed\n"
    scores = {p.asset.name: p.score for p in Popularity.objects.select_related("asset")}
    # today: orders 6, Customer 3, Invoice 3 change; Track, customers 62.5 and the 1s 37.5 stay
    assert scores["orders"] == 100.0 and scores["Customer"] == 87.5 == scores["Invoice"]


def test_max_lines_bounds_the_read(make_source, harvest, tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(jaffle_log(timezone.now().date()))
    config = {"path": str(path), "namespace": JAFFLE_NS, "max_lines": 3}
    run = harvest(make_source("bounded", "usage", config))
    assert run.status == "succeeded" and run.counts["lines"] == 3
    assert {"item": "log.jsonl", "message": "stopped after max_lines=3"} in run.warnings
