"""Product pages with the Django test client on a real database: input-port and
output-port editing with history and 403s, the no-team note, list filters, form error ids
and the SLO numbers; reading, owner edits with inline validation, 403 for others, contract
drift, product lineage, asset links and the quickstart's sample products (formerly
``test_products_ui.py``)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Asset, AssetSource, Field, Source
from lineage.models import LineageEdge
from products.links import products_for_asset, search_facets
from products.models import (
    SLO,
    DataProduct,
    Domain,
    EditRecord,
    InputPort,
    OutputPort,
    SLISample,
    Team,
    TeamMembership,
)
from products.odps import odps_problems
from products.samples import load_sample_products
from products.slo import record_sample
from tests.factories import make_asset
from tests.products.html import login, parse

# --- input and output ports -------------------------------------------------------------


def test_owner_adds_edits_and_deletes_input_ports_with_history(mesh):
    client = login(mesh["olivia"])
    detail = client.get("/products/orders/").content.decode()
    assert 'id="add-input"' in detail
    r = client.post(
        "/products/orders/inputs/new/",
        {"name": "ledger", "upstream_port": mesh["ledger_port"].pk, "description": "Bookings"},
    )
    assert r.status_code == 302
    port = InputPort.objects.get(product=mesh["orders"], name="ledger")
    assert (port.contract_id, port.version, port.upstream_product) == (
        "ledger-entries",
        "2.0.0",
        mesh["ledger"],
    )
    record = EditRecord.objects.filter(product=mesh["orders"]).first()
    assert record.action == "add input port" and record.user == mesh["olivia"]
    assert record.changes["input_ports"] == [[], ["ledger 2.0.0"]]
    assert record.changes["input port ledger"] == [
        None,
        "ledger 2.0.0 <- ledger (contract ledger-entries): Bookings",
    ]
    page = client.get("/products/orders/").content.decode()
    assert "Bookings" in page and 'href="/products/ledger/"' in page
    assert "Ledger</a> <small>(input port ledger)</small>" in page  # product lineage
    # exported descriptor stays valid ODPS (the description is a custom property)
    doc = yaml.safe_load(client.get("/products/orders/descriptor.yaml").content)
    assert odps_problems(doc) == []
    assert {"property": "description", "value": "Bookings"} in doc["inputPorts"][0][
        "customProperties"
    ]

    # edit: read an asset directly instead, change the description
    r = client.post(
        f"/products/orders/inputs/{port.pk}/",
        {
            "name": "ledger",
            "version": "2.0.0",
            "asset_urn": mesh["asset"].urn,
            "description": "Raw",
        },
    )
    assert r.status_code == 302
    port.refresh_from_db()
    assert port.asset == mesh["asset"] and port.upstream_product is None and port.contract_id == ""
    record = EditRecord.objects.filter(product=mesh["orders"]).first()
    assert record.action == "edit input port"
    assert record.changes["input port ledger"][1] == f"ledger 2.0.0 <- {mesh['asset'].urn}: Raw"

    # an edit form shows the current values
    form = parse(client.get(f"/products/orders/inputs/{port.pk}/"))
    assert form.by_id("id_description").text == "Raw"

    r = client.post(f"/products/orders/inputs/{port.pk}/delete/")
    assert r.status_code == 302 and not InputPort.objects.filter(pk=port.pk).exists()
    record = EditRecord.objects.filter(product=mesh["orders"]).first()
    assert record.action == "delete input port"
    assert record.changes["input_ports"] == [["ledger 2.0.0"], []]


def test_input_port_needs_a_source_and_a_unique_name(mesh):
    client = login(mesh["olivia"])
    r = client.post("/products/orders/inputs/new/", {"name": "x"})
    html = r.content.decode()
    assert r.status_code == 200 and 'id="id_asset_urn_error"' in html
    field = parse(r).by_id("id_asset_urn")
    assert "id_asset_urn_error" in field.attrs["aria-describedby"].split()
    assert field.attrs.get("aria-invalid") == "true"
    InputPort.objects.create(product=mesh["orders"], name="x", version="1")
    r = client.post("/products/orders/inputs/new/", {"name": "x", "version": "1", "asset_urn": "u"})
    assert "already has an input port x 1" in r.content.decode()
    assert InputPort.objects.count() == 1


def test_non_owner_gets_403_on_input_port_edits(mesh):
    port = InputPort.objects.create(product=mesh["orders"], name="raw", asset_urn="urn:x")
    for user in (mesh["fred"], mesh["oscar"]):
        client = login(user)
        assert 'id="add-input"' not in client.get("/products/orders/").content.decode()
        for url in ("/products/orders/inputs/new/", f"/products/orders/inputs/{port.pk}/"):
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"name": "hijack", "asset_urn": "urn:y"}).status_code == 403
        assert client.post(f"/products/orders/inputs/{port.pk}/delete/").status_code == 403
    port.refresh_from_db()
    assert port.name == "raw" and port.asset_urn == "urn:x"
    # a port of another product is not found through this one
    other = InputPort.objects.create(product=mesh["ledger"], name="o", asset_urn="urn:z")
    owner = login(mesh["olivia"])
    assert owner.get(f"/products/orders/inputs/{other.pk}/").status_code == 404
    assert owner.post(f"/products/orders/inputs/{other.pk}/delete/").status_code == 404
    assert not EditRecord.objects.exists()


def test_output_port_server_details_and_delete(mesh):
    client = login(mesh["olivia"])
    port = mesh["port"]
    port.server = {"type": "sqlite", "custom": "kept"}
    port.save()
    r = client.post(
        f"/products/orders/ports/{port.pk}/",
        {
            "name": "orders",
            "version": "1",
            "type": "tables",
            "asset_urn": mesh["asset"].urn,
            "server_type": "postgres",
            "server_host": "db.internal",
            "server_port": "5432",
            "server_database": "shop",
            "server_schema": "public",
        },
    )
    assert r.status_code == 302
    port.refresh_from_db()
    assert port.server == {
        "type": "postgres",
        "custom": "kept",
        "host": "db.internal",
        "port": 5432,
        "database": "shop",
        "schema": "public",
    }
    assert "db.internal" in client.get("/products/orders/").content.decode()

    slo = SLO.objects.create(port=port, name="rows", kind="volume", min_value=1)
    record_sample(slo, 5.0)
    assert login(mesh["fred"]).get(f"/products/orders/ports/{port.pk}/delete/").status_code == 403
    assert login(mesh["fred"]).post(f"/products/orders/ports/{port.pk}/delete/").status_code == 403
    confirm = client.get(f"/products/orders/ports/{port.pk}/delete/")
    assert confirm.status_code == 200 and "1 SLO and 1 sample" in confirm.content.decode()
    assert OutputPort.objects.filter(pk=port.pk).exists()  # GET deletes nothing
    r = client.post(f"/products/orders/ports/{port.pk}/delete/")
    assert r.status_code == 302
    assert not OutputPort.objects.filter(pk=port.pk).exists()
    assert not SLISample.objects.exists()
    record = EditRecord.objects.filter(product=mesh["orders"]).first()
    assert record.action == "delete output port" and record.changes["output_ports"][1] == []


# --- no team, list filters, product page numbers ------------------------------------------


def test_user_without_team_sees_a_note_instead_of_new_product(mesh):
    page = login(mesh["oscar"]).get("/products/").content.decode()
    assert 'id="no-team-note"' in page and 'href="/products/new/"' not in page
    r = login(mesh["oscar"]).get("/products/new/")
    assert r.status_code == 403 and 'id="no-team-note"' in r.content.decode()
    assert "<form" not in r.content.decode().split('id="no-team-note"')[1]
    assert login(mesh["oscar"]).post("/products/new/", {"uid": "x", "name": "X"}).status_code == 403
    assert not DataProduct.objects.filter(uid="x").exists()
    for user in (mesh["olivia"], mesh["staff"]):
        page = login(user).get("/products/").content.decode()
        assert 'href="/products/new/"' in page and 'id="no-team-note"' not in page
    staff_only = User.objects.create_user("admin2", is_staff=True)  # staff in no team
    assert 'href="/products/new/"' in login(staff_only).get("/products/").content.decode()


def test_product_list_filters_are_selects_of_database_values(mesh):
    client = login(mesh["oscar"])
    page = parse(client.get("/products/"))
    domain = page.by_id("id_domain")
    assert domain.tag == "select"
    labels = [o.text for o in domain.children if o.tag == "option"]
    assert labels == ["All domains", "Finance", "Sales", "Online", "Mobile"]  # tree order
    owner = page.by_id("id_owner")
    assert owner.tag == "select"
    assert [o.attrs["value"] for o in owner.children][1:] == ["finance", "sales-eng"]
    assert page.by_id("id_status").tag == "select"
    assert "input" in page.by_id("id_q").attrs["class"].split()
    html = client.get("/products/?owner=finance").content.decode()
    assert "Ledger" in html and 'href="/products/orders/"' not in html
    html = client.get("/products/?domain=sales").content.decode()  # includes sub-domains
    assert 'href="/products/orders/"' in html and 'href="/products/ledger/"' not in html
    html = client.get("/products/?status=active").content.decode()
    assert 'href="/products/orders/"' in html and 'href="/products/ledger/"' not in html


def test_product_page_budget_burn_and_phone_safe_tables(mesh):
    slo = SLO.objects.create(port=mesh["port"], name="rows", kind="volume", min_value=10)
    record_sample(slo, 1.0)  # bad: budget overspent 100x, burning at 100x
    html = login(mesh["oscar"]).get("/products/orders/").content.decode()
    assert "exhausted" in html and "100×" in html
    assert "-9900%" not in html and "100.00×" not in html
    assert html.split('<table class="table slos"')[0].rstrip().endswith('<div class="tablewrap">')
    for url in ("/products/orders/", "/products/", "/teams/", "/domains/online/"):
        page = login(mesh["oscar"]).get(url).content.decode()
        assert page.count("<table") == page.count('<div class="tablewrap">'), url


def test_linkbutton_colour_is_scoped_to_the_top_bar():
    css = Path(settings.BASE_DIR, "static", "catalog", "app.css").read_text()
    assert ".topnav .linkbutton { color: #dbe2f5; }" in css
    rule = next(line for line in css.splitlines() if line.startswith(".linkbutton {"))
    assert "color: var(--brand)" in rule


def test_form_errors_are_described_by_their_ids(mesh):
    r = login(mesh["olivia"]).post(
        "/products/orders/slos/new/",
        {"port": mesh["port"].pk, "name": "c", "kind": "completeness", "objective": "2"},
    )
    page = parse(r)
    for name in ("objective", "column"):
        field = page.by_id(f"id_{name}")
        error = page.by_id(f"id_{name}_error")
        assert error is not None, name
        assert f"id_{name}_error" in field.attrs["aria-describedby"].split()
    assert "input" in page.by_id("id_name").attrs["class"].split()
    assert (
        page.find(lambda n: n.tag == "button" and n.attrs.get("class") == "button").text == "Save"
    )


# --- reading, owner edits, drift, lineage, asset links (was test_products_ui.py) --------


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


def test_pages_need_sign_in_and_render(world, settings):
    settings.MESH_PUBLIC_READ = False  # reads private: sign in first (issue 10)
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
