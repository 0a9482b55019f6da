"""The core REST API: sources, runs, assets, lineage parameters, OpenAPI, auth."""

import time

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.runner import run_harvest


@pytest.fixture
def list_kind(monkeypatch):
    """Register the smoke-test harvester as kind ``list``."""
    monkeypatch.setitem(registry.HARVESTERS, "list", "tests.test_framework_smoke.ListHarvester")


@pytest.fixture
def token_client(db):
    """An API client authenticated with a DRF token."""
    user = User.objects.create_user("harvester-bot")
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
    assert resp["edges"] == [{"source": urn, "target": dataset_urn("test://x", "b"), "job": None}]


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
