"""The core REST API: sources, runs, assets, lineage parameters, OpenAPI, auth."""

import time

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.urns import dataset_urn, job_urn, make_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import DatasetRecord, JobRecord, OwnerRecord
from harvesters.runner import run_harvest

SHOP = "test://shop"


@pytest.fixture
def list_kind(monkeypatch):
    """Register the smoke-test harvester as kind ``list``."""
    monkeypatch.setitem(
        registry.HARVESTERS, "list", "tests.harvesters.test_framework.ListHarvester"
    )


@pytest.fixture
def token_client(db):
    """An API client authenticated with a DRF token of a staff user (sources belong to
    staff or their owning team: issue 10)."""
    user = User.objects.create_user("harvester-bot", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_source_create_needs_a_token(db):
    resp = APIClient().post(
        "/api/v1/sources",
        {"name": "x", "kind": "sql", "config": {"url": "sqlite://"}},
        format="json",
    )
    assert resp.status_code == 401


def test_source_create_refuses_unknown_config_key_by_name(token_client):
    resp = token_client.post(
        "/api/v1/sources",
        {"name": "warehouse", "kind": "sql", "config": {"url": "sqlite://", "pasword": "x"}},
        format="json",
    )
    assert resp.status_code == 400
    assert "unknown key 'pasword'" in resp.json()["config"][0]


def test_source_create_refuses_unknown_kind(token_client):
    resp = token_client.post(
        "/api/v1/sources", {"name": "w", "kind": "oracle-magic", "config": {}}, format="json"
    )
    assert resp.status_code == 400
    assert "kind" in resp.json()


def wait_for_run(client, run_id: int) -> dict:
    """Poll the run until it leaves queued/running (at most ~60 s, for a loaded machine)."""
    for _ in range(1200):
        run = client.get(f"/api/v1/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish: {run}")


@pytest.mark.django_db(transaction=True)
def test_harvest_now_runs_in_background_and_reports(token_client, make_source, list_kind):
    """POST .../harvest answers 202 at once; the run then succeeds with its counts."""
    source = make_source("chain", "list", {"tables": ["a", "b", "c"]})
    resp = token_client.post(f"/api/v1/sources/{source.id}/harvest")
    assert resp.status_code == 202 and resp.json()["status"] == "queued"
    run = wait_for_run(token_client, resp.json()["id"])
    assert run["status"] == "succeeded", run
    assert run["counts"]["datasets"] == 3 and run["progress"]["stage"] == "finished"
    listing = token_client.get("/api/v1/runs", {"source": "chain"}).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == run["id"]


def test_assets_list_filters_and_detail(client, make_source, list_kind):
    run_harvest(make_source("chain", "list", {"tables": ["orders", "customers"]}))
    data = client.get("/api/v1/assets", {"q": "cust"}).json()
    assert data["count"] == 1 and set(data) == {"count", "next", "previous", "results"}
    urn = data["results"][0]["urn"]
    assert urn == dataset_urn("test://x", "customers")
    assert (
        client.get("/api/v1/assets", {"source": "chain", "platform": "test"}).json()["count"] == 2
    )
    assert client.get("/api/v1/assets", {"source": "elsewhere"}).json()["count"] == 0
    detail = client.get(f"/api/v1/assets/{urn}").json()
    assert detail["fields"][0]["name"] == "id" and detail["fields"][0]["type"] == "integer"
    assert detail["sources"][0]["name"] == "chain"
    assert client.get("/api/v1/assets/urn:mc:dataset:nope/x").status_code == 404


def test_lineage_bad_parameters_are_named(client, make_source, list_kind):
    run_harvest(make_source("chain", "list", {"tables": ["a", "b"]}))
    urn = dataset_urn("test://x", "a")
    resp = client.get("/api/v1/lineage", {"urn": urn, "direction": "sideways"})
    assert resp.status_code == 400 and "direction" in resp.json()
    resp = client.get("/api/v1/lineage", {"urn": urn, "depth": "-1"})
    assert resp.status_code == 400 and "depth" in resp.json()
    resp = client.get("/api/v1/lineage", {"urn": urn, "direction": "downstream"}).json()
    edges = [{k: e[k] for k in ("source", "target", "job")} for e in resp["edges"]]
    assert edges == [{"source": urn, "target": dataset_urn("test://x", "b"), "job": None}]
    assert resp["edges"][0]["sources"] == ["chain"] and not resp["edges"][0]["manual"]
    resp = client.get("/api/v1/lineage", {"urn": urn, "as_of": "yesterday"})
    assert resp.status_code == 400 and "as_of" in resp.json()


def test_impact_csv_download(client, make_source, list_kind):
    run_harvest(make_source("chain", "list", {"tables": ["a", "b", "c"]}))
    resp = client.get("/api/v1/impact", {"urn": dataset_urn("test://x", "a"), "format": "csv"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    lines = resp.content.decode().strip().splitlines()
    assert lines[0] == "urn,name,type,platform,depth,owners,path"
    assert len(lines) == 3 and lines[2].split(",")[4] == "2"


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    for p in (
        "/api/v1/assets",
        "/api/v1/lineage",
        "/api/v1/impact",
        "/api/v1/sources",
        "/api/v1/runs",
        "/api/v1/column-lineage",
    ):
        assert p in schema["paths"], p
    assert client.get("/api/docs/").status_code == 200


class ShopConfig(HarvesterConfig):
    """``skip``: names of the assets not to report this time."""

    skip: list[str] = []


class ShopHarvester(Harvester):
    """Reports a table, a view, a job and a dashboard with tags and owners."""

    kind = "shop"
    config_class = ShopConfig

    def records(self):
        ana = OwnerRecord("ana@example.com", email="ana@example.com")
        team = OwnerRecord("finance", kind="team", type="business_owner")
        items = [
            DatasetRecord(
                urn=dataset_urn(SHOP, "orders"),
                namespace=SHOP,
                qualified_name="orders",
                name="orders",
                platform="test",
                tags=["pii", "gold"],
                owners=[ana],
            ),
            DatasetRecord(
                urn=dataset_urn(SHOP, "revenue"),
                namespace=SHOP,
                qualified_name="revenue",
                name="revenue",
                platform="test",
                type="view",
                tags=["gold"],
                owners=[ana, team],
            ),
            JobRecord(
                urn=job_urn(SHOP, "load"),
                namespace=SHOP,
                qualified_name="load",
                name="load",
                platform="test",
                owners=[team],
            ),
            DatasetRecord(
                urn=make_urn("dashboard", SHOP, "kpis"),
                namespace=SHOP,
                qualified_name="kpis",
                name="kpis",
                platform="test",
                type="dashboard",
                kind="dashboard",
            ),
        ]
        yield from (r for r in items if r.name not in self.config.skip)


def test_assets_filters_tag_owner_type_kind_removed(client, make_source, monkeypatch, settings):
    monkeypatch.setitem(registry.HARVESTERS, "shop", f"{__name__}.ShopHarvester")
    source = make_source("shop", "shop", {})
    assert run_harvest(source).status == "succeeded"

    def names(**params) -> list[str]:
        body = client.get("/api/v1/assets", params).json()
        assert body["count"] == len(body["results"])
        return sorted(r["name"] for r in body["results"])

    assert names() == ["kpis", "load", "orders", "revenue"]
    assert names(tag="gold") == ["orders", "revenue"]  # each asset once (distinct)
    assert names(tag="pii") == ["orders"]
    assert names(tag="nope") == []
    assert names(owner="ana@example.com") == ["orders", "revenue"]
    assert names(owner="finance") == ["load", "revenue"]
    assert names(owner="finance", tag="gold") == ["revenue"]
    assert names(type="view") == ["revenue"]
    assert names(type="table") == ["orders"]
    assert names(kind="job") == ["load"]
    assert names(kind="dashboard") == ["kpis"]
    assert names(kind="dataset", type="dashboard") == []
    assert client.get("/api/v1/assets", {"type": "spreadsheet"}).status_code == 400
    assert client.get("/api/v1/assets", {"kind": "model"}).status_code == 400
    settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
    source.config = {"skip": ["orders"]}
    source.save()
    run = run_harvest(source)
    assert run.status == "succeeded" and run.removed_count == 1
    assert names() == ["kpis", "load", "revenue"]  # removed assets are hidden by default
    assert names(removed="true") == ["orders"]
    assert names(removed="false") == ["kpis", "load", "revenue"]
    assert names(removed="true", tag="pii") == ["orders"]


def test_openapi_lineage_responses_and_security_schemes(client):
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for p, component in (
        ("/api/v1/lineage", "LineageGraph"),
        ("/api/v1/column-lineage", "ColumnLineageGraph"),
        ("/api/v1/impact", "Impact"),
    ):
        get = schema["paths"][p]["get"]
        ok = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{component}"}, p
        assert {"400", "404"} <= set(get["responses"]), p
        params = {q["name"]: q for q in get["parameters"]}
        assert params["urn"]["required"] is True, p
        assert "depth" in params, p
    assert "direction" in {
        q["name"] for q in schema["paths"]["/api/v1/lineage"]["get"]["parameters"]
    }
    assert "text/csv" in schema["paths"]["/api/v1/impact"]["get"]["responses"]["200"]["content"]
    assert set(components["LineageGraph"]["properties"]) == {"nodes", "edges"}
    assert set(components["LineageGraphEdge"]["properties"]) == {
        "source", "target", "job", "first_seen", "last_seen", "sources", "manual", "hidden",
        "assertions",
    }  # fmt: skip
    assert set(components["ImpactRow"]["properties"]) == {
        "urn",
        "name",
        "type",
        "platform",
        "depth",
        "path",
        "owners",
    }
    assert set(components["ColumnLineageEdge"]["properties"]) == {
        "source",
        "target",
        "transformation",
        "subtypes",
        "first_seen",
        "last_seen",
        "sources",
        "manual",
        "hidden",
        "assertions",
    }
    assert set(components["ColumnRef"]["properties"]) == {"urn", "field"}
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    assert (
        schemes["tokenAuth"]["type"] == "apiKey" and schemes["tokenAuth"]["name"] == "Authorization"
    )
    post = schema["paths"]["/api/v1/lineage"]["post"]
    assert {"bearerAuth": []} in post["security"] and {"tokenAuth": []} in post["security"]
    # the lineage API's part of the schema generates without a warning or an error
    GENERATOR_STATS.reset()
    SchemaGenerator(patterns=[path("api/v1/", include("lineage.api.urls"))]).get_schema(
        request=None, public=True
    )
    assert not GENERATOR_STATS, (GENERATOR_STATS._warn_cache, GENERATOR_STATS._error_cache)


def test_whole_openapi_schema_generates_without_warnings(tmp_path):
    """Every endpoint documents its request and response: drf-spectacular's own check."""
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out), "--validate")
    text = out.read_text()
    assert "/api/v1/products/{uid}/descriptor:" in text and "application/yaml" in text
