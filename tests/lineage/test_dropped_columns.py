"""Issue 13 part 5: a column an authoritative harvest drops is soft-deleted, never
hard-deleted, so its column-lineage edges are ended and kept: answered by
``/api/v1/column-lineage`` with ``as_of`` before the drop, not now. Readers of the
current schema (asset API and page, search documents, schema versions, run diffs) see
live columns only; a column that comes back is live again (same row)."""

import time

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Asset, Field
from catalog.search.documents import iter_documents
from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.models import RunChange
from harvesters.records import DatasetRecord, FieldLineageRecord, FieldRecord
from harvesters.runner import run_harvest
from lineage.models import FieldLineageEdge, SchemaVersion

NS = "test://drop"
WIDE = [("id", "integer"), ("secret_code", "string")]
NARROW = [("id", "integer")]


def urn(name: str) -> str:
    return dataset_urn(NS, name)


class DropConfig(HarvesterConfig):
    """``tables``: {name: [[column, type], ...]} (authoritative); ``column_edges``:
    [[up, column, down, column], ...]."""

    tables: dict[str, list[tuple[str, str]]]
    column_edges: list[tuple[str, str, str, str]] = []


class DropHarvester(Harvester):
    """Reports its configured tables and column edges."""

    kind = "drops"
    config_class = DropConfig

    def records(self):
        for name, columns in self.config.tables.items():
            yield DatasetRecord(
                urn=urn(name),
                namespace=NS,
                qualified_name=name,
                name=name,
                platform="test",
                fields=[FieldRecord(c, t) for c, t in columns],
                fields_authoritative=True,
            )
        for up, up_col, down, down_col in self.config.column_edges:
            yield FieldLineageRecord(urn(up), up_col, urn(down), down_col)


@pytest.fixture
def harvest(db, monkeypatch, make_source, settings):
    """``harvest(a_columns)``: tables ``a`` (the given columns) and ``b`` (wide), with
    ``a.secret_code → b.secret_code`` and ``a.id → b.id`` while ``a`` has the column."""
    settings.MESH_STALE_REMOVAL_MAX_SHARE = 1.0
    monkeypatch.setitem(registry.HARVESTERS, "drops", f"{__name__}.DropHarvester")
    source = make_source("drops", "drops", {})

    def run(a_columns):
        edges = [("a", "id", "b", "id")]
        if ("secret_code", "string") in a_columns:
            edges.append(("a", "secret_code", "b", "secret_code"))
        source.config = {
            "tables": {"a": a_columns, "b": WIDE},
            "column_edges": [list(e) for e in edges],
        }
        source.save()
        done = run_harvest(source)
        assert done.status == "succeeded", done.errors
        return done

    return run


def column_lineage(**params):
    return APIClient().get("/api/v1/column-lineage", {"direction": "upstream", **params})


def upstream_names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(n["name"] for n in response.json()["nodes"])


def test_dropped_column_edges_answer_as_of_and_come_back(harvest):
    harvest(WIDE)
    before = timezone.now().isoformat()
    time.sleep(0.01)
    dropped_run = harvest(NARROW)
    after_drop = timezone.now().isoformat()
    time.sleep(0.01)
    b = {"urn": urn("b"), "field": "secret_code"}

    # now: b.secret_code has no upstream, a.secret_code is not a column any more
    assert upstream_names(column_lineage(**b)) == ["b.secret_code"]
    gone = column_lineage(urn=urn("a"), field="secret_code")
    assert gone.status_code == 404
    # as_of before the drop: the edge, with its history
    then = column_lineage(**b, as_of=before)
    assert upstream_names(then) == ["a.secret_code", "b.secret_code"]
    (edge,) = then.json()["edges"]
    assert edge["source"] == {"urn": urn("a"), "field": "secret_code"}
    down = column_lineage(urn=urn("a"), field="secret_code", direction="downstream", as_of=before)
    assert upstream_names(down) == ["a.secret_code", "b.secret_code"]
    # the rows are kept: the field soft-deleted, the edge ended
    row = Field.all_objects.get(asset__urn=urn("a"), name="secret_code")
    assert row.removed_at is not None
    (ended,) = FieldLineageEdge.objects.filter(upstream=row)
    assert ended.valid_to is not None
    assert upstream_names(column_lineage(urn=urn("b"), field="id")) == ["a.id", "b.id"]

    # readers of the current schema see live columns only
    detail = APIClient().get(f"/api/v1/assets/{urn('a')}")
    assert [f["name"] for f in detail.json()["fields"]] == ["id"]
    asset = Asset.objects.get(urn=urn("a"))
    page = APIClient().get(f"/assets/{urn('a')}")
    assert page.status_code == 200 and b"secret_code" not in page.content
    (doc,) = list(iter_documents([asset.id]))
    assert "secret_code" not in str(doc)
    assert [f.name for f in asset.fields.all()] == ["id"]
    # the run diff and schema versions still see the drop
    (change,) = RunChange.objects.filter(run=dropped_run, kind="schema_changed")
    assert change.detail["removed"] == ["secret_code"] and change.detail["breaking"]
    versions = SchemaVersion.objects.filter(asset=asset).order_by("version")
    assert [[c["name"] for c in v.columns] for v in versions] == [["id", "secret_code"], ["id"]]

    # the column comes back: live again (the same row), with a new edge interval
    back_run = harvest(WIDE)
    assert Field.objects.get(asset=asset, name="secret_code").id == row.id
    assert upstream_names(column_lineage(**b)) == ["a.secret_code", "b.secret_code"]
    assert upstream_names(column_lineage(**b, as_of=after_drop)) == ["b.secret_code"]
    assert upstream_names(column_lineage(**b, as_of=before)) == [
        "a.secret_code",
        "b.secret_code",
    ]
    (change,) = RunChange.objects.filter(run=back_run, kind="schema_changed")
    assert change.detail["added"] == ["secret_code"] and not change.detail["removed"]
    assert SchemaVersion.objects.filter(asset=asset).count() == 3
    assert [f["name"] for f in APIClient().get(f"/api/v1/assets/{urn('a')}").json()["fields"]] == [
        "id",
        "secret_code",
    ]
