"""Products API: listing with filters, permissions, descriptor in/out, SLOs, history."""

import pytest
import yaml
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from products.models import SLO, DataProduct, Domain, EditRecord, OutputPort, Team, TeamMembership
from products.slo import record_sample
from tests.conftest import STANDARDS
from tests.factories import make_asset


@pytest.fixture
def world(db):
    """Two teams, an owner in one, an outsider, an admin; two products."""
    owner = User.objects.create_user("olivia", password="pw")
    outsider = User.objects.create_user("oscar", password="pw")
    admin = User.objects.create_superuser("root", password="pw")
    sales_team = Team.objects.create(slug="sales-eng", name="Sales Eng")
    media_team = Team.objects.create(slug="media", name="Media")
    TeamMembership.objects.create(team=sales_team, user=owner, role="owner")
    sales = Domain.objects.create(slug="sales", name="Sales", owner_team=sales_team)
    online = Domain.objects.create(slug="online", name="Online", parent=sales)
    media = Domain.objects.create(slug="media", name="Media", owner_team=media_team)
    p1 = DataProduct.objects.create(
        uid="orders",
        name="Orders",
        domain=online,
        owner_team=sales_team,
        status="active",
        tags=["gold", "pii"],
    )
    DataProduct.objects.create(
        uid="tracks",
        name="Tracks",
        domain=media,
        owner_team=media_team,
        status="draft",
        tags=["golden"],
    )
    port = OutputPort.objects.create(product=p1, name="orders", version="1")
    return {"owner": owner, "outsider": outsider, "admin": admin, "p1": p1, "port": port}


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def uids(response) -> list[str]:
    return [r["uid"] for r in response.json()["results"]]


def test_reading_needs_sign_in(world, settings):
    settings.MESH_PUBLIC_READ = False  # reads private: sign in first (issue 10)
    assert client_for(None).get("/api/v1/products").status_code in (401, 403)
    assert client_for(world["outsider"]).get("/api/v1/products").status_code == 200


def test_product_filters(world):
    c = client_for(world["outsider"])
    assert uids(c.get("/api/v1/products")) == ["orders", "tracks"]
    assert uids(c.get("/api/v1/products?domain=sales")) == ["orders"]  # includes sub-domain
    assert uids(c.get("/api/v1/products?status=draft")) == ["tracks"]
    assert uids(c.get("/api/v1/products?owner=sales-eng")) == ["orders"]
    assert uids(c.get("/api/v1/products?tag=gold")) == ["orders"]  # not "golden"
    assert c.get("/api/v1/products?status=bogus").status_code == 400
    body = c.get("/api/v1/domains/online").json()
    assert body == {
        "slug": "online",
        "name": "Online",
        "parent": "sales",
        "owner_team": None,
        "description": "",
        "products": ["orders"],
    }


def test_owner_edits_and_history_records_it(world):
    c = client_for(world["owner"])
    r = c.patch("/api/v1/products/orders", {"purpose": "All orders"}, format="json")
    assert r.status_code == 200 and r.json()["purpose"] == "All orders"
    record = EditRecord.objects.get(product=world["p1"])
    assert record.user == world["owner"] and record.action == "update"
    assert record.changes == {"purpose": ["", "All orders"]}


def test_non_owner_cannot_edit_via_api(world):
    c = client_for(world["outsider"])
    r = c.patch("/api/v1/products/orders", {"purpose": "hijack"}, format="json")
    assert r.status_code == 403
    assert c.delete("/api/v1/products/orders").status_code == 403
    r = c.post(
        "/api/v1/products/orders/slos",
        {"port": world["port"].pk, "name": "v", "kind": "volume"},
        format="json",
    )
    assert r.status_code == 403
    r = c.put("/api/v1/products/orders/descriptor", "x: 1", content_type="application/yaml")
    assert r.status_code == 403
    r = c.post(
        "/api/v1/products", {"uid": "n", "name": "N", "owner_team": "sales-eng"}, format="json"
    )
    assert r.status_code == 403
    assert DataProduct.objects.get(uid="orders").purpose == ""
    assert not EditRecord.objects.exists()
    # admins may edit anything
    r = client_for(world["admin"]).patch("/api/v1/products/orders", {"version": "2"}, format="json")
    assert r.status_code == 200


def test_create_product_and_validation_errors(world):
    c = client_for(world["owner"])
    r = c.post(
        "/api/v1/products",
        {"uid": "n", "name": "N", "owner_team": "sales-eng", "domain": "sales", "tags": ["a"]},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert EditRecord.objects.get(product__uid="n").action == "create"
    r = c.post(
        "/api/v1/products",
        {"uid": "m", "name": "M", "owner_team": "sales-eng", "status": "shipped", "tags": "a"},
        format="json",
    )
    assert r.status_code == 400
    assert set(r.json()) == {"status", "tags"}


def test_descriptor_out_and_in(world):
    c = client_for(world["owner"])
    r = c.get("/api/v1/products/orders/descriptor")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/yaml")
    doc = yaml.safe_load(r.content)
    assert doc["apiVersion"] == "v1.0.0" and doc["id"] == "orders" and doc["status"] == "active"
    doc["description"] = {"purpose": "From YAML"}
    doc["team"] = {"name": "Sales Eng"}
    r = c.put(
        "/api/v1/products/orders/descriptor", yaml.safe_dump(doc), content_type="application/yaml"
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"outcome": "updated", "uid": "orders"}
    assert DataProduct.objects.get(uid="orders").purpose == "From YAML"
    # invalid: every problem named, nothing written
    r = c.put(
        "/api/v1/products/orders/descriptor",
        "apiVersion: v1.0.0\nkind: Thing\nid: orders\n",
        content_type="application/yaml",
    )
    assert r.status_code == 400
    assert r.json()["problems"] == [
        "(root): required: 'status' is a required property",
        "kind: enum: 'Thing' is not one of ['DataProduct']",
    ]
    # a descriptor for another id is refused
    other = (STANDARDS / "odps" / "simple-data-product.odps.yaml").read_text()
    r = c.put("/api/v1/products/orders/descriptor", other, content_type="application/yaml")
    assert r.status_code == 400 and r.json()["problems"][0].startswith("id: match:")


def test_slos_and_samples_endpoints(world):
    c = client_for(world["owner"])
    # a port whose asset a SQL source harvested: freshness is checked live, needs a column
    asset = make_asset(
        "w.main.orders",
        "sqlite://w",
        source_kind="sql",
        source_name="wh",
        source_config={"url": "sqlite:///:memory:"},
    )
    OutputPort.objects.filter(pk=world["port"].pk).update(asset=asset)
    r = c.post(
        "/api/v1/products/orders/slos",
        {"port": world["port"].pk, "name": "fresh", "kind": "freshness"},
        format="json",
    )
    assert r.status_code == 400 and set(r.json()) == {"column"}
    r = c.post(
        "/api/v1/products/orders/slos",
        {
            "port": world["port"].pk,
            "name": "fresh",
            "kind": "freshness",
            "column": "updated_at",
            "threshold": 3600,
            "objective": 0.9,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    slo = SLO.objects.get(name="fresh")
    assert slo.window_days == 28
    record_sample(slo, 100.0)
    record_sample(slo, 7200.0)
    body = c.get("/api/v1/products/orders/slos").json()
    assert body[0]["status"]["state"] == "breached" and body[0]["status"]["attainment"] == 0.5
    samples = c.get(f"/api/v1/slos/{slo.pk}/samples").json()
    assert samples["count"] == 2
    assert [s["good"] for s in samples["results"]] == [False, True]
    assert "slos" in EditRecord.objects.get(action="add slo").changes
