"""The harvest runner: unexpected faults reported on one line, stale removal fail-safes."""

import logging
import sqlite3

import pytest

from catalog.models import Asset, AssetSource
from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.base import Harvester
from harvesters.records import DatasetRecord
from harvesters.runner import run_harvest
from lineage.models import LineageEdge


class BuggyHarvester(Harvester):
    """Yields one dataset, then fails with a bug (a ZeroDivisionError)."""

    kind = "buggy"

    def records(self):
        yield DatasetRecord(
            urn=dataset_urn("test://bug", "t"),
            namespace="test://bug",
            qualified_name="t",
            name="t",
            platform="test",
        )
        yield 1 / 0


@pytest.fixture
def buggy_kind(monkeypatch):
    monkeypatch.setitem(registry.HARVESTERS, "buggy", f"{__name__}.BuggyHarvester")


def test_unexpected_fault_is_one_line_in_the_report_traceback_only_at_debug(
    db, buggy_kind, make_source, caplog
):
    source = make_source("buggy", "buggy", {})
    with caplog.at_level(logging.WARNING):
        run = run_harvest(source)
    assert run.status == "failed"
    assert run.errors == [
        {"item": "source 'buggy'", "message": "unexpected ZeroDivisionError: division by zero"}
    ]
    assert caplog.records == []  # nothing reaches a terminal at the default level
    assert Asset.objects.count() == 0  # the transaction was rolled back
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="harvesters.runner"):
        run_harvest(source)
    (record,) = [r for r in caplog.records if r.name == "harvesters.runner"]
    assert record.levelno == logging.DEBUG and record.exc_info[0] is ZeroDivisionError
    assert record.getMessage() == "harvest of buggy failed"


def test_source_reporting_nothing_is_partial_and_removes_nothing(make_source, harvest, tmp_path):
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    for table in ("a", "b", "c"):
        conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE VIEW v AS SELECT id FROM a")
    conn.commit()
    source = make_source("shop", "sql", {"url": f"sqlite:///{path}"})
    first = harvest(source)
    assert first.status == "succeeded" and first.counts["datasets"] == 4
    assert LineageEdge.objects.count() == 1
    for view_or_table in ("VIEW v", "TABLE a", "TABLE b", "TABLE c"):
        conn.execute(f"DROP {view_or_table}")
    conn.commit()
    conn.close()
    empty = harvest(source)
    assert empty.status == "partial" and empty.removed_count == 0
    assert empty.warnings == [
        {
            "item": "stale removal",
            "message": "skipped because the run produced nothing while the source has 4 "
            "active assets",
        }
    ]
    assert Asset.objects.filter(removed=False).count() == 4
    assert AssetSource.objects.filter(removed=False).count() == 4
    assert LineageEdge.objects.count() == 1  # edges are kept too
    # a new source that reports nothing has nothing to protect: it succeeds
    other = harvest(make_source("empty", "sql", {"url": f"sqlite:///{path}"}))
    assert other.status == "succeeded" and other.warnings == []


def test_openlineage_source_has_no_stale_removal(db, samples):
    """Pushed events are not crawled: running the ``openlineage`` source succeeds and
    removes nothing, neither assets nor the edges the events asserted."""
    import json

    from harvesters.kinds.openlineage.ingest import ingest_events, openlineage_source

    events = json.loads((samples / "openlineage" / "food_delivery.json").read_text())
    ingest_events(events)
    assets, edges = Asset.objects.filter(removed=False).count(), LineageEdge.objects.count()
    assert assets and edges
    run = run_harvest(openlineage_source())
    assert run.status == "succeeded", run.warnings
    assert run.removed_count == 0 and run.warnings == [] and run.errors == []
    assert Asset.objects.filter(removed=False).count() == assets
    assert LineageEdge.objects.count() == edges
