"""Product and domain pages: reading, owner edits with inline validation, 403 for others,
drift/SLO/lineage display, asset page link, search facets, quickstart step."""

from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Asset, AssetSource, Field, Source
from lineage.models import LineageEdge
from products.links import products_for_asset, search_facets
from products.models import SLO, DataProduct, Domain, EditRecord, OutputPort, Team, TeamMembership
from products.samples import load_sample_products
from products.slo import record_sample
from tests.factories import make_asset


@pytest.fixture
def world(db):
    owner = User.objects.create_user("olivia", password="pw")
    outsider = User.objects.create_user("oscar", password="pw")
    team = Team.objects.create(slug="sales-eng", name="Sales Eng")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    domain = Domain.objects.create(slug="sales", name="Sales", owner_team=team)
    product = DataProduct.objects.create(
        uid="orders", name="Orders", domain=domain, owner_team=team, status="active"
    )
    asset = make_asset("s.main.orders", "sqlite://s")
    port = OutputPort.objects.create(
        product=product, name="orders", version="1", asset=asset, asset_urn=asset.urn
    )
    return {
        "owner": owner,
        "outsider": outsider,
        "product": product,
        "port": port,
        "asset": asset,
        "team": team,
    }


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_need_sign_in_and_render(world):
    assert Client().get("/products/").status_code == 302
    c = login(world["outsider"])
    page = c.get("/products/").content.decode()
    assert "Orders" in page and "no SLOs" in page
    detail = c.get("/products/orders/").content.decode()
    assert "Export ODPS YAML" in detail and 'id="edit-product"' not in detail
    assert c.get("/domains/sales/").status_code == 200
    assert c.get("/products/orders/descriptor.yaml").content.startswith(b"apiVersion: v1.0.0")


def test_owner_edits_description_with_history(world):
    c = login(world["owner"])
    assert 'id="edit-product"' in c.get("/products/orders/").content.decode()
    form = {
        "name": "Orders",
        "domain": world["product"].domain.pk,
        "owner_team": world["team"].pk,
        "status": "active",
        "version": "2",
        "purpose": "Every order",
        "limitations": "",
        "usage": "",
        "tags": "gold, pii",
    }
    r = c.post("/products/orders/edit/", form)
    assert r.status_code == 302
    product = DataProduct.objects.get(uid="orders")
    assert product.purpose == "Every order" and product.tags == ["gold", "pii"]
    record = EditRecord.objects.get()
    assert record.user == world["owner"]
    assert record.changes["purpose"] == ["", "Every order"]
    assert "Every order" in c.get("/products/orders/").content.decode()


def test_inline_validation_on_slo_form(world):
    # a port whose asset a sql source reported: its freshness SLO needs a column
    source = Source.objects.create(name="s", kind="sql", config={})
    AssetSource.objects.create(asset=world["asset"], source=source)
    c = login(world["owner"])
    r = c.post(
        "/products/orders/slos/new/",
        {
            "port": world["port"].pk,
            "name": "fresh",
            "kind": "freshness",
            "objective": "1.5",
            "window_days": "28",
        },
    )
    page = r.content.decode()
    assert r.status_code == 200
    assert "must be between 0 and 1" in page
    assert "a freshness SLO needs a column" in page
    assert "needs a maximum age in seconds" in page
    assert not SLO.objects.exists()
    r = c.post(
        "/products/orders/slos/new/",
        {
            "port": world["port"].pk,
            "name": "fresh",
            "kind": "freshness",
            "objective": "0.99",
            "window_days": "28",
            "threshold": "3600",
            "column": "updated_at",
            "enabled": "on",
        },
    )
    assert r.status_code == 302 and SLO.objects.get().threshold == 3600


def test_outsider_gets_403_on_every_edit(world):
    c = login(world["outsider"])
    slo = SLO.objects.create(port=world["port"], name="v", kind="volume", min_value=1)
    for url in (
        "/products/orders/edit/",
        "/products/orders/slos/new/",
        f"/products/orders/slos/{slo.pk}/",
        "/products/orders/ports/new/",
        "/products/orders/members/new/",
        "/domains/sales/edit/",
    ):
        assert c.get(url).status_code == 403, url
        assert c.post(url, {"name": "x", "purpose": "hijack"}).status_code == 403, url
    assert c.post(f"/products/orders/slos/{slo.pk}/delete/").status_code == 403
    assert SLO.objects.filter(pk=slo.pk).exists()
    assert DataProduct.objects.get(uid="orders").purpose == ""


def test_port_with_contract_shows_drift_and_slo_status(world):
    Field.objects.create(asset=world["asset"], name="id", data_type="integer", ordinal=0)
    Field.objects.create(asset=world["asset"], name="note", data_type="string", ordinal=1)
    contract = """apiVersion: v3.1.0
kind: DataContract
id: orders-contract
version: 1.0.0
status: active
schema:
- name: orders
  properties:
  - {name: id, logicalType: string}
  - {name: amount, logicalType: number}
slaProperties:
- {property: latency, value: 2, unit: h, element: orders.updated_at}
"""
    c = login(world["owner"])
    r = c.post(
        f"/products/orders/ports/{world['port'].pk}/",
        {
            "name": "orders",
            "version": "1",
            "type": "tables",
            "description": "",
            "asset_urn": world["asset"].urn,
            "contract_yaml": "kind: Nope",
        },
    )
    assert r.status_code == 200 and "kind: enum:" in r.content.decode()
    r = c.post(
        f"/products/orders/ports/{world['port'].pk}/",
        {
            "name": "orders",
            "version": "1",
            "type": "tables",
            "description": "",
            "asset_urn": world["asset"].urn,
            "contract_yaml": contract,
        },
    )
    assert r.status_code == 302
    slo = SLO.objects.get(origin="contract")
    assert (slo.kind, slo.threshold, slo.column) == ("freshness", 7200.0, "updated_at")
    record_sample(slo, 60.0)
    page = c.get("/products/orders/").content.decode()
    assert "Missing columns: amount" in page
    assert "Type changes: id (string → integer)" in page
    assert "Extra columns: note" in page
    assert "slo-badge--met" in page and "<svg" in page
    assert 'href="/contracts/orders-contract.odcs.yaml"' in page
    exported = yaml.safe_load(c.get("/contracts/orders-contract.odcs.yaml").content)
    assert exported == yaml.safe_load(contract)


def test_product_lineage_from_asset_lineage(world):
    team = world["team"]
    upstream_asset = Asset.objects.create(
        urn="urn:mc:dataset:sqlite://s/s.main.raw",
        namespace="sqlite://s",
        name="raw",
        qualified_name="s.main.raw",
        platform="sqlite",
    )
    raw = DataProduct.objects.create(uid="raw", name="Raw Orders", owner_team=team)
    OutputPort.objects.create(product=raw, name="raw", version="1", asset=upstream_asset)
    source = Source.objects.create(name="s", kind="sql", config={})
    LineageEdge.objects.create(
        key="k1", upstream=upstream_asset, downstream=world["asset"], origin=source
    )
    page = login(world["outsider"]).get("/products/orders/").content.decode()
    assert "Raw Orders</a> <small>(raw → orders)</small>" in page
    page = login(world["outsider"]).get("/products/raw/").content.decode()
    assert "Orders</a> <small>(raw → orders)</small>" in page


def test_asset_links_and_search_facets(world):
    rows = products_for_asset(world["asset"])
    assert [(r["product"].uid, r["domain"].slug, r["role"]) for r in rows] == [
        ("orders", "sales", "output")
    ]
    assert search_facets([world["asset"].pk]) == {
        world["asset"].pk: {"domain": ["Sales"], "data_product": ["Orders"]}
    }


def test_quickstart_step_binds_sample_products_to_harvested_assets(
    db, samples, make_source, harvest
):
    harvest(
        make_source(
            "chinook", "sql", {"url": f"sqlite:///{samples / 'chinook' / 'Chinook_Sqlite.sqlite'}"}
        )
    )
    rows = load_sample_products(Path(samples), None)
    assert rows[0]["status"] == "succeeded" and rows[0]["errors"] == 0
    invoices = OutputPort.objects.get(product__uid="chinook-invoicing", name="invoices")
    assert (
        invoices.asset.urn == "urn:mc:dataset:sqlite://Chinook_Sqlite/Chinook_Sqlite.main.Invoice"
    )
    volume = SLO.objects.get(port=invoices, kind="volume")
    assert volume.samples.filter(origin="check").get().value == 412.0
    drift = __import__("products.drift", fromlist=["x"]).contract_drift(invoices)
    assert drift["missing"] == [] and "BillingCity" in drift["extra"]
