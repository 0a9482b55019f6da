"""The harvest framework end to end with a tiny in-test harvester."""

import pytest

from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import DatasetRecord, FieldLineageRecord, FieldRecord, LineageRecord
from harvesters.runner import run_harvest


class ListConfig(HarvesterConfig):
    """Config: the table names to report."""

    tables: list[str]


class ListHarvester(Harvester):
    """Reports one dataset per configured table, chained a → b → c."""

    kind = "list"
    config_class = ListConfig

    def records(self):
        names = self.config.tables
        for name in names:
            yield DatasetRecord(
                urn=dataset_urn("test://x", name),
                namespace="test://x",
                qualified_name=name,
                name=name,
                platform="test",
                fields=[FieldRecord("id", "integer")],
            )
        for a, b in zip(names, names[1:], strict=False):
            yield LineageRecord(dataset_urn("test://x", a), dataset_urn("test://x", b))
            yield FieldLineageRecord(
                dataset_urn("test://x", a), "id", dataset_urn("test://x", b), "id"
            )


@pytest.fixture
def list_kind(monkeypatch):
    monkeypatch.setitem(registry.HARVESTERS, "list", f"{__name__}.ListHarvester")


def test_harvest_upserts_and_traverses(db, list_kind, make_source, client):
    from catalog.models import Asset

    source = make_source("listy", "list", {"tables": [f"t{i}" for i in range(10)]})
    run = run_harvest(source)
    assert run.status == "succeeded", run.errors
    assert run.counts["datasets"] == 10 and run.counts["lineage_edges"] == 9
    run2 = run_harvest(source)
    assert run2.status == "succeeded"
    assert Asset.objects.count() == 10
    resp = client.get("/api/v1/impact", {"urn": dataset_urn("test://x", "t0")})
    assert resp.status_code == 200
    assert resp.json()["count"] == 9
    assert resp.json()["results"][-1]["path"][0] == dataset_urn("test://x", "t0")
    resp = client.get(
        "/api/v1/column-lineage",
        {
            "urn": dataset_urn("test://x", "t5"),
            "field": "id",
            "direction": "upstream",
            "depth": "2",
        },
    )
    assert [n["urn"].rsplit("/", 1)[1] for n in resp.json()["nodes"]] == ["t5", "t4", "t3"]


def test_unknown_config_key_is_named(db, list_kind, make_source):
    source = make_source("bad", "list", {"tables": [], "tabels": ["x"]})
    run = run_harvest(source)
    assert run.status == "failed"
    assert "unknown key 'tabels'" in run.errors[0]["message"]
