"""Manual lineage and history through the API (issue 13, parts 4 and 5): adding and
removing edges with a note, hiding harvested ones, who may, ``as_of``, edge provenance,
schema versions and their diff. The graph answers themselves are pinned for both
backends in ``test_graph_contract.py`` (HistoryContract)."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from catalog.models import Owner, Ownership
from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import DatasetRecord, FieldLineageRecord, FieldRecord, LineageRecord
from harvesters.runner import run_harvest
from lineage.models import FieldLineageEdge, LineageEdge, SchemaVersion

NS = "test://s"


def urn(name: str) -> str:
    return dataset_urn(NS, name)


class TablesConfig(HarvesterConfig):
    """``tables``: {name: [[column, type], ...]}; ``edges``: [[up, down], ...] (column
    ``id`` feeds ``id`` along each edge)."""

    tables: dict[str, list[tuple[str, str]]]
    edges: list[tuple[str, str]] = []


class TablesHarvester(Harvester):
    """Reports its configured tables (authoritative schemas) and edges."""

    kind = "tables"
    config_class = TablesConfig

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
        for up, down in self.config.edges:
            yield LineageRecord(urn(up), urn(down))
            yield FieldLineageRecord(urn(up), "id", urn(down), "id")


COLUMNS = [("id", "integer"), ("name", "string")]


@pytest.fixture
def world(db, monkeypatch, make_source):
    """Tables a → b → c harvested; ``olivia`` owns c (an owner named after her), ``oscar``
    owns nothing; ``harvest(tables, edges)`` harvests again."""
    monkeypatch.setitem(registry.HARVESTERS, "tables", f"{__name__}.TablesHarvester")
    source = make_source("wh", "tables", {})

    def harvest(tables=None, edges=(("a", "b"), ("b", "c"))):
        source.config = {
            "tables": tables or {n: COLUMNS for n in "abc"},
            "edges": [list(e) for e in edges],
        }
        source.save()
        run = run_harvest(source)
        assert run.status in ("succeeded", "partial"), run.errors
        return run

    harvest()
    olivia = User.objects.create_user("olivia", email="olivia@example.com")
    oscar = User.objects.create_user("oscar")
    owner = Owner.objects.create(name="olivia@example.com")
    from catalog.models import Asset

    Ownership.objects.create(asset=Asset.objects.get(urn=urn("c")), owner=owner)
    return {"olivia": olivia, "oscar": oscar, "harvest": harvest, "source": source}


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_owner_adds_a_manual_edge_with_a_note(world):
    olivia = client_for(world["olivia"])
    body = {"upstream": urn("a"), "downstream": urn("c"), "note": "the nightly export"}
    resp = olivia.post("/api/v1/lineage/edges", body)
    assert resp.status_code == 201, resp.content
    row = resp.json()
    assert row["kind"] == "dataset" and row["provenance"] == "manual"
    assert row["author"] == "olivia" and row["note"] == "the nightly export"
    assert row["source"] is None and row["valid_to"] is None
    assert olivia.post("/api/v1/lineage/edges", body).status_code == 409
    graph = client_for().get("/api/v1/lineage", {"urn": urn("c"), "direction": "upstream"})
    manual = [
        e for e in graph.json()["edges"] if e["source"] == urn("a") and e["target"] == urn("c")
    ]
    assert manual and manual[0]["manual"] and manual[0]["assertions"][0]["author"] == "olivia"
    # a harvest never touches it
    world["harvest"]()
    assert LineageEdge.objects.get(id=row["id"]).valid_to is None


@pytest.mark.parametrize(
    "body, item",
    [
        ({"upstream": urn("zz"), "downstream": urn("c"), "note": "n"}, "upstream"),
        ({"upstream": urn("a"), "downstream": urn("c"), "note": " "}, "note"),
        ({"upstream": urn("a"), "downstream": urn("c")}, "note"),
        ({"upstream": urn("c"), "downstream": urn("c"), "note": "n"}, "downstream"),
        (
            {"upstream": urn("a"), "downstream": urn("c"), "note": "n", "upstream_field": "id"},
            "downstream_field",
        ),
        (
            {
                "upstream": urn("a"),
                "downstream": urn("c"),
                "note": "n",
                "upstream_field": "nope",
                "downstream_field": "id",
            },
            "upstream_field",
        ),
    ],
)
def test_bad_edges_are_400_naming_the_item(world, body, item):
    resp = client_for(world["olivia"]).post("/api/v1/lineage/edges", body)
    assert resp.status_code == 400 and item in resp.json(), resp.content


def test_only_owners_of_the_downstream_asset_stewards_and_staff(world):
    body = {"upstream": urn("a"), "downstream": urn("c"), "note": "n"}
    assert client_for().post("/api/v1/lineage/edges", body).status_code == 401
    assert client_for(world["oscar"]).post("/api/v1/lineage/edges", body).status_code == 403
    # olivia owns c, not b
    other = {"upstream": urn("a"), "downstream": urn("b"), "note": "n"}
    assert client_for(world["olivia"]).post("/api/v1/lineage/edges", other).status_code == 403
    from identity.models import RoleAssignment

    RoleAssignment.objects.create(user=world["oscar"], role="steward")
    oscar = User.objects.get(pk=world["oscar"].pk)  # roles are cached per instance
    assert client_for(oscar).post("/api/v1/lineage/edges", other).status_code == 201


def test_column_edge_adds_the_dataset_edge_and_removal_keeps_history(world):
    olivia = client_for(world["olivia"])
    body = {
        "upstream": urn("a"),
        "downstream": urn("c"),
        "upstream_field": "name",
        "downstream_field": "name",
        "transformation": "INDIRECT",
        "subtype": "filter",
        "note": "filters on name",
    }
    resp = olivia.post("/api/v1/lineage/edges", body)
    assert resp.status_code == 201, resp.content
    row = resp.json()
    assert row["kind"] == "column" and row["subtype"] == "FILTER"
    assert LineageEdge.objects.filter(provenance="manual", upstream__urn=urn("a")).count() == 1
    cols = client_for().get(
        "/api/v1/column-lineage", {"urn": urn("c"), "field": "name", "direction": "upstream"}
    )
    (edge,) = cols.json()["edges"]
    assert edge["transformation"] == "INDIRECT" and edge["subtypes"] == ["FILTER"]
    assert olivia.delete(f"/api/v1/lineage/column-edges/{row['id']}").status_code == 204
    assert FieldLineageEdge.objects.get(id=row["id"]).valid_to is not None  # never deleted
    assert olivia.delete(f"/api/v1/lineage/column-edges/{row['id']}").status_code == 400
    listed = client_for().get("/api/v1/lineage/edges", {"urn": urn("c"), "ended": "true"}).json()
    assert [r["valid_to"] is not None for r in listed["column"] if r["id"] == row["id"]] == [True]
    now = client_for().get("/api/v1/lineage/edges", {"urn": urn("c")}).json()
    assert row["id"] not in [r["id"] for r in now["column"]]
    past = client_for().get(
        "/api/v1/column-lineage",
        {"urn": urn("c"), "field": "name", "direction": "upstream", "as_of": row["valid_from"]},
    )
    assert len(past.json()["edges"]) == 1


def test_hide_a_harvested_edge_with_a_reason(world):
    olivia = client_for(world["olivia"])
    edge = LineageEdge.objects.get(upstream__urn=urn("b"), downstream__urn=urn("c"))
    assert olivia.post(f"/api/v1/lineage/edges/{edge.id}/hide", {}).status_code == 400
    assert olivia.delete(f"/api/v1/lineage/edges/{edge.id}").status_code == 400  # hide it
    resp = olivia.post(f"/api/v1/lineage/edges/{edge.id}/hide", {"reason": "stale dbt ref"})
    assert resp.status_code == 200 and resp.json()["hidden_reason"] == "stale dbt ref"
    assert client_for().get("/api/v1/impact", {"urn": urn("a")}).json()["count"] == 1
    shown = client_for().get("/api/v1/impact", {"urn": urn("a"), "hidden": "true"}).json()
    assert [r["name"] for r in shown["results"]] == ["b", "c"]
    world["harvest"]()
    assert client_for().get("/api/v1/impact", {"urn": urn("a")}).json()["count"] == 1
    assert olivia.post(f"/api/v1/lineage/edges/{edge.id}/unhide").status_code == 200
    assert client_for().get("/api/v1/impact", {"urn": urn("a")}).json()["count"] == 2


def test_schema_versions_and_diff(world):
    world["harvest"]({"a": COLUMNS, "b": COLUMNS, "c": [("id", "string"), ("email", "string")]})
    world["harvest"]({"a": COLUMNS, "b": COLUMNS, "c": [("id", "string"), ("email", "string")]})
    assert SchemaVersion.objects.filter(asset__urn=urn("c")).count() == 2  # no change, no version
    versions = client_for().get("/api/v1/schema-versions", {"urn": urn("c")}).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["valid_to"] == versions[1]["valid_from"]
    diff = client_for().get("/api/v1/schema-diff", {"urn": urn("c")}).json()
    assert [c["name"] for c in diff["added"]] == ["email"]
    assert [c["name"] for c in diff["removed"]] == ["name"]
    assert diff["changed"] == [
        {
            "name": "id",
            "from": {"data_type": "integer", "native_type": "", "nullable": None},
            "to": {"data_type": "string", "native_type": "", "nullable": None},
        }
    ]
    back = client_for().get("/api/v1/schema-diff", {"urn": urn("c"), "from": 2, "to": 1}).json()
    assert [c["name"] for c in back["added"]] == ["name"]
    bad = client_for().get("/api/v1/schema-diff", {"urn": urn("c"), "from": 9})
    assert bad.status_code == 400 and "from" in bad.json()
