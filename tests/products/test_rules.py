"""Audit rules on products: safe link schemes, domain history and parent cycles, freshness
without a SQL source, the forward-only ODPS lifecycle, and SLO ports of another product."""

import io

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from products.forms import DomainForm, ProductForm, SLOForm
from products.models import SLO, DataProduct, Domain, EditRecord, OutputPort, Team, TeamMembership
from products.odps import apply_descriptor, is_safe_link, parse_descriptor
from products.schemas import DescriptorError
from products.sync import sync_folder
from tests.factories import make_asset

BAD_URLS = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example.com/x",
    "/\\evil.example.com",
    "docs/relative",
]
GOOD_URLS = ["https://docs.example.com/orders", "http://wiki/x", "mailto:data@example.com", "/d/"]


@pytest.fixture
def world(db):
    """An owner in team sales-eng, an outsider, a staff user; domains sales › online ›
    eu; product ``orders`` (active) with a port, product ``tracks`` with a port."""
    owner = User.objects.create_user("olivia", password="pw")
    outsider = User.objects.create_user("oscar", password="pw")
    staff = User.objects.create_user("stan", password="pw", is_staff=True)
    team = Team.objects.create(slug="sales-eng", name="Sales Eng")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    sales = Domain.objects.create(slug="sales", name="Sales", owner_team=team)
    online = Domain.objects.create(slug="online", name="Online", parent=sales, owner_team=team)
    eu = Domain.objects.create(slug="eu", name="EU", parent=online, owner_team=team)
    orders = DataProduct.objects.create(
        uid="orders", name="Orders", domain=sales, owner_team=team, status="active"
    )
    tracks = DataProduct.objects.create(uid="tracks", name="Tracks", status="draft")
    return {
        "owner": owner,
        "outsider": outsider,
        "staff": staff,
        "team": team,
        "sales": sales,
        "online": online,
        "eu": eu,
        "orders": orders,
        "port": OutputPort.objects.create(product=orders, name="orders", version="1"),
        "other_port": OutputPort.objects.create(product=tracks, name="tracks", version="1"),
    }


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def odps(uid: str, status: str, **extra) -> dict:
    """A minimal valid ODPS v1.0.0 document."""
    return {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": uid, "status": status, **extra}


# -- 1. links -------------------------------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS)
def test_api_refuses_links_that_are_not_http_mailto_or_a_path(world, url):
    r = api(world["owner"]).patch(
        "/api/v1/products/orders", {"links": [{"type": "docs", "url": url}]}, format="json"
    )
    assert r.status_code == 400, r.content
    (message,) = r.json()["links"]
    assert message.startswith("link 0 ('docs'): ") and repr(url) in message
    assert DataProduct.objects.get(uid="orders").links == []
    assert not is_safe_link(url)


def test_api_accepts_http_https_mailto_and_site_paths(world):
    links = [{"type": f"l{i}", "url": url} for i, url in enumerate(GOOD_URLS)]
    r = api(world["owner"]).patch("/api/v1/products/orders", {"links": links}, format="json")
    assert r.status_code == 200, r.content
    assert DataProduct.objects.get(uid="orders").links == links
    assert all(is_safe_link(url) for url in GOOD_URLS)


def test_odps_import_names_the_bad_link_path(world):
    doc = odps(
        "orders",
        "active",
        authoritativeDefinitions=[
            {"type": "docs", "url": "https://ok.example.com"},
            {"type": "evil", "url": "javascript:alert(1)"},
        ],
    )
    with pytest.raises(DescriptorError) as caught:
        parse_descriptor(yaml.safe_dump(doc), "orders.odps.yaml")
    (problem,) = caught.value.problems
    assert problem.startswith("authoritativeDefinitions[1].url: scheme: 'javascript:alert(1)'")
    r = api(world["owner"]).put(
        "/api/v1/products/orders/descriptor", yaml.safe_dump(doc), content_type="application/yaml"
    )
    assert r.status_code == 400 and r.json()["problems"] == [problem]
    assert DataProduct.objects.get(uid="orders").links == []


# -- 3. domains -----------------------------------------------------------------------


def test_api_domain_edits_are_recorded_in_its_history(world):
    c = api(world["owner"])
    r = c.patch("/api/v1/domains/eu", {"description": "Europe", "parent": "sales"}, format="json")
    assert r.status_code == 200, r.content
    record = EditRecord.objects.get(domain=world["eu"])
    assert record.user == world["owner"] and record.action == "update"
    assert record.product is None
    assert record.changes == {"parent": ["Online", "Sales"], "description": ["", "Europe"]}
    # nothing changed: no empty history row
    assert (
        c.patch("/api/v1/domains/eu", {"description": "Europe"}, format="json").status_code == 200
    )
    assert EditRecord.objects.filter(domain=world["eu"]).count() == 1
    r = c.post("/api/v1/domains", {"slug": "b2b", "name": "B2B", "owner_team": "sales-eng"})
    assert r.status_code == 403  # top-level domains are for staff, as in the UI
    r = c.post(
        "/api/v1/domains",
        {"slug": "b2b", "name": "B2B", "owner_team": "sales-eng", "parent": "sales"},
    )
    assert r.status_code == 201, r.content
    created = EditRecord.objects.get(domain__slug="b2b")
    assert created.action == "create" and created.changes["name"] == [None, "B2B"]


@pytest.mark.parametrize("parent", ["sales", "online", "eu"])
def test_api_refuses_a_parent_cycle(world, parent):
    """``sales`` › ``online`` › ``eu``: sales may sit under none of them."""
    r = api(world["owner"]).patch("/api/v1/domains/sales", {"parent": parent}, format="json")
    assert r.status_code == 400
    assert r.json() == {"parent": ["a domain cannot sit under itself or its sub-domains"]}
    assert Domain.objects.get(slug="sales").parent is None
    assert not EditRecord.objects.exists()


def test_moving_a_domain_needs_the_new_parents_team(world):
    """An owner may re-parent a domain only under a domain their team owns (or keep it)."""
    other = Team.objects.create(slug="media", name="Media")
    media = Domain.objects.create(slug="media", name="Media", owner_team=other)
    c = api(world["owner"])
    r = c.patch("/api/v1/domains/eu", {"parent": "media"}, format="json")
    assert r.status_code == 400 and "parent" in r.json()
    assert c.patch("/api/v1/domains/eu", {"parent": "sales"}, format="json").status_code == 200
    assert (
        api(world["staff"])
        .patch("/api/v1/domains/eu", {"parent": "media"}, format="json")
        .status_code
        == 200
    )
    # the same rule in the UI form
    web = Client()
    web.force_login(world["owner"])
    r = web.post(
        "/domains/online/edit/",
        {"slug": "online", "name": "Online", "parent": media.pk, "owner_team": world["team"].pk},
    )
    assert r.status_code == 200 and "domain your team owns" in r.content.decode()
    assert Domain.objects.get(slug="online").parent == world["sales"]


def test_form_and_api_share_the_cycle_rule(world):
    data = {"slug": "sales", "name": "Sales", "parent": world["eu"].pk, "description": ""}
    form = DomainForm(data, instance=Domain.objects.get(slug="sales"))
    assert not form.is_valid()
    assert form.errors["parent"] == ["a domain cannot sit under itself or its sub-domains"]
    ok = DomainForm({**data, "slug": "eu", "parent": world["sales"].pk}, instance=world["eu"])
    assert ok.is_valid(), ok.errors


# -- 4. freshness without a SQL source ----------------------------------------------------


def _bind_sql_source(port: OutputPort) -> None:
    port.asset = make_asset(
        "w.main.orders",
        "sqlite://w",
        source_kind="sql",
        source_name="wh",
        source_config={"url": "sqlite:///:memory:"},
    )
    port.save()


def _lake_asset(port: OutputPort) -> None:
    port.asset = make_asset(
        "lake.orders",
        "file://lake",
        platform="file",
        source_kind="lake",
        source_config={"path": "/tmp/lake"},
    )
    port.save()


FRESH = {"name": "fresh", "kind": "freshness", "objective": 0.99, "window_days": 28}


@pytest.mark.parametrize("bind", [None, _lake_asset])
def test_freshness_without_sql_source_needs_no_column(world, bind):
    if bind:
        bind(world["port"])
    form = SLOForm({**FRESH, "port": world["port"].pk, "threshold": 3600}, product=world["orders"])
    assert form.is_valid(), form.errors
    r = api(world["owner"]).post(
        "/api/v1/products/orders/slos",
        {**FRESH, "port": world["port"].pk, "threshold": 3600},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert SLO.objects.get().column == ""


def test_freshness_on_a_sql_source_still_needs_a_column(world):
    _bind_sql_source(world["port"])
    form = SLOForm({**FRESH, "port": world["port"].pk, "threshold": 3600}, product=world["orders"])
    assert not form.is_valid()
    assert form.errors["column"][0].startswith("a freshness SLO needs a column")
    r = api(world["owner"]).post(
        "/api/v1/products/orders/slos",
        {**FRESH, "port": world["port"].pk, "threshold": 3600},
        format="json",
    )
    assert r.status_code == 400 and set(r.json()) == {"column"}
    # completeness always needs its column
    form = SLOForm(
        {**FRESH, "kind": "completeness", "port": world["port"].pk, "threshold": 0.1},
        product=world["orders"],
    )
    assert form.errors["column"] == ["a completeness SLO needs a column"]


# -- 5. lifecycle ---------------------------------------------------------------------


def test_api_status_moves_forward_only_for_owners(world):
    c = api(world["owner"])
    r = c.patch("/api/v1/products/orders", {"status": "draft"}, format="json")
    assert r.status_code == 400
    assert r.json() == {
        "status": [
            "cannot move back from 'active' to 'draft' (only staff may); "
            "allowed next statuses: deprecated, retired"
        ]
    }
    assert (
        c.patch("/api/v1/products/orders", {"status": "active"}, format="json").status_code == 200
    )
    r = c.patch("/api/v1/products/orders", {"status": "retired"}, format="json")  # two steps
    assert r.status_code == 200, r.content
    r = c.patch("/api/v1/products/orders", {"status": "deprecated"}, format="json")
    assert r.status_code == 400
    assert r.json()["status"][0].endswith(
        "allowed next statuses: none ('retired' is the last stage)"
    )
    # staff may move back; both moves are in the history
    r = api(world["staff"]).patch("/api/v1/products/orders", {"status": "draft"}, format="json")
    assert r.status_code == 200, r.content
    assert [e.changes["status"] for e in EditRecord.objects.order_by("id")] == [
        ["active", "retired"],
        ["retired", "draft"],
    ]
    # a new product may start anywhere
    r = c.post(
        "/api/v1/products",
        {"uid": "n", "name": "N", "owner_team": "sales-eng", "status": "deprecated"},
        format="json",
    )
    assert r.status_code == 201, r.content


def _product_form(world, status: str, user=None) -> ProductForm:
    product = DataProduct.objects.get(uid="orders")
    data = {"uid": "orders", "name": "Orders", "owner_team": world["team"].pk, "status": status}
    return ProductForm(data, instance=product, teams=Team.objects.all(), user=user)


def test_product_form_moves_forward_only_unless_staff(world):
    for user in (None, world["owner"]):
        form = _product_form(world, "proposed", user)
        assert not form.is_valid()
        assert form.errors["status"] == [
            "cannot move back from 'active' to 'proposed' (only staff may); "
            "allowed next statuses: deprecated, retired"
        ]
    assert _product_form(world, "deprecated", world["owner"]).is_valid()
    assert _product_form(world, "proposed", world["staff"]).is_valid()
    # the edit page shows the error inline and writes nothing
    client = Client()
    client.force_login(world["owner"])
    r = client.post(
        "/products/orders/edit/",
        {"name": "Orders", "owner_team": world["team"].pk, "status": "draft", "tags": ""},
    )
    assert r.status_code == 200 and "cannot move back from" in r.content.decode()
    assert DataProduct.objects.get(uid="orders").status == "active"


def test_descriptor_imports_follow_the_lifecycle(world, tmp_path):
    back = odps("orders", "draft", name="Orders", team={"name": "Sales Eng"})
    with pytest.raises(DescriptorError) as caught:
        apply_descriptor(back, user=world["owner"])
    assert caught.value.problems == [
        "status: lifecycle: cannot move back from 'active' to 'draft' (only staff may); "
        "allowed next statuses: deprecated, retired"
    ]
    r = api(world["owner"]).put(
        "/api/v1/products/orders/descriptor", yaml.safe_dump(back), content_type="application/yaml"
    )
    assert r.status_code == 400 and r.json()["problems"] == caught.value.problems
    (tmp_path / "orders.odps.yaml").write_text(yaml.safe_dump(back))
    report = sync_folder(tmp_path, user=world["owner"])
    assert report["updated"] == []
    assert report["invalid"][0]["problems"] == caught.value.problems  # no "(root): apply"
    # --check says the same without writing
    checked = sync_folder(tmp_path, check=True, user=world["owner"])
    assert checked["invalid"][0]["problems"] == caught.value.problems
    assert checked["updated"] == [] and checked["diffs"] == {}
    assert DataProduct.objects.get(uid="orders").status == "active"
    # staff, and the command (no user: the domain's git repo), may move back
    assert apply_descriptor(back, user=world["staff"])[1] == "updated"
    DataProduct.objects.filter(uid="orders").update(status="retired")
    out = io.StringIO()
    call_command("sync_products", str(tmp_path), stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    assert DataProduct.objects.get(uid="orders").status == "draft"


# -- 6. SLO on another product's port -----------------------------------------------------


def test_slo_on_another_products_port_is_a_validation_error(world):
    r = api(world["owner"]).post(
        "/api/v1/products/orders/slos",
        {"port": world["other_port"].pk, "name": "v", "kind": "volume", "min_value": 1},
        format="json",
    )
    assert r.status_code == 400
    assert r.json() == {
        "port": [
            f"port {world['other_port'].pk} ('tracks') belongs to another product, not 'orders'"
        ]
    }
    assert not SLO.objects.exists() and not EditRecord.objects.exists()
    # outsiders still get 403 whatever the body
    r = api(world["outsider"]).post(
        "/api/v1/products/orders/slos", {"port": world["other_port"].pk}, format="json"
    )
    assert r.status_code == 403
