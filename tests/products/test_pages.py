"""Product, domain and team pages with the Django test client on a real database:
domain creation (who may) and the domain tree, input-port and output-port editing with
history and 403s, the no-team note, list filters, form error ids and the SLO numbers."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

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
from products.slo import record_sample
from tests.factories import make_asset


class Node:
    """An element of a parsed page: ``tag``, ``attrs``, ``children``, ``text``."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.items = [], []  # items: text and child nodes in order

    @property
    def text(self) -> str:
        parts = [i if isinstance(i, str) else i.text for i in self.items]
        return " ".join(" ".join(parts).split())

    def find(self, pred):
        for child in self.children:
            if pred(child):
                return child
            found = child.find(pred)
            if found is not None:
                return found
        return None

    def by_id(self, ident):
        return self.find(lambda n: n.attrs.get("id") == ident)


class Tree(HTMLParser):
    VOID = {"meta", "link", "img", "input", "br", "hr", "source"}

    def __init__(self):
        super().__init__()
        self.root = self.node = Node("root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.node)
        self.node.children.append(node)
        self.node.items.append(node)
        if tag not in self.VOID:
            self.node = node

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        self.node.items.append(data)


def parse(response) -> Node:
    tree = Tree()
    tree.feed(response.content.decode())
    return tree.root


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mesh(db):
    """Sales (owned by Sales Eng: olivia) › Online › Mobile; Finance (owned by Finance:
    fred); a product of Sales Eng with an output port bound to an asset; oscar in no team."""
    olivia = User.objects.create_user("olivia")
    fred = User.objects.create_user("fred")
    oscar = User.objects.create_user("oscar")
    staff = User.objects.create_user("root", is_staff=True)
    sales_eng = Team.objects.create(slug="sales-eng", name="Sales Eng")
    finance_team = Team.objects.create(slug="finance", name="Finance")
    TeamMembership.objects.create(team=sales_eng, user=olivia, role="owner")
    TeamMembership.objects.create(team=finance_team, user=fred, role="owner")
    sales = Domain.objects.create(slug="sales", name="Sales", owner_team=sales_eng)
    online = Domain.objects.create(slug="online", name="Online", parent=sales, owner_team=sales_eng)
    mobile = Domain.objects.create(slug="mobile", name="Mobile", parent=online)
    finance = Domain.objects.create(slug="finance", name="Finance", owner_team=finance_team)
    asset = make_asset("s.main.orders", "sqlite://s")
    orders = DataProduct.objects.create(
        uid="orders", name="Orders", domain=online, owner_team=sales_eng, status="active"
    )
    port = OutputPort.objects.create(
        product=orders, name="orders", version="1", asset=asset, asset_urn=asset.urn
    )
    ledger = DataProduct.objects.create(
        uid="ledger", name="Ledger", domain=finance, owner_team=finance_team
    )
    ledger_port = OutputPort.objects.create(
        product=ledger, name="entries", version="2.0.0", contract_id="ledger-entries"
    )
    return {
        "olivia": olivia,
        "fred": fred,
        "oscar": oscar,
        "staff": staff,
        "sales": sales,
        "online": online,
        "mobile": mobile,
        "finance": finance,
        "orders": orders,
        "port": port,
        "asset": asset,
        "ledger": ledger,
        "ledger_port": ledger_port,
        "sales_eng": sales_eng,
    }


# --- domains ---------------------------------------------------------------------------


def test_domain_tree_is_nested_with_counts_and_owner(mesh):
    page = parse(login(mesh["oscar"]).get("/domains/"))
    tree = page.by_id("domain-tree")
    sales = tree.by_id("domain-sales")
    assert sales.parent is tree and tree.by_id("domain-finance").parent is tree
    online = sales.by_id("domain-online")
    assert online is not None and online.parent.attrs["class"] == "domaintree__children"
    mobile = online.by_id("domain-mobile")
    assert mobile is not None and mobile.attrs["data-depth"] == "2"
    assert tree.by_id("domain-mobile").parent.parent is online
    assert "0 products (1 with sub-domains) · Sales Eng" in sales.text
    assert "1 product · Sales Eng" in online.text
    assert "no owner team" in mobile.text
    assert page.find(lambda n: n.attrs.get("href") == "/domains/new/") is None  # oscar


def test_domain_tree_survives_a_parent_loop(mesh):
    a = Domain.objects.create(slug="a", name="A")
    b = Domain.objects.create(slug="b", name="B", parent=a)
    Domain.objects.filter(pk=a.pk).update(parent=b)
    html = login(mesh["oscar"]).get("/domains/").content.decode()
    assert html.count('id="domain-a"') == 1 and html.count('id="domain-b"') == 1


def test_domain_page_shows_sub_domains_and_products(mesh):
    page = parse(login(mesh["oscar"]).get("/domains/online/"))
    assert "Mobile" in page.find(lambda n: n.attrs.get("class") == "countlist subdomains").text
    products = page.find(lambda n: "products-table" in n.attrs.get("class", ""))
    assert "Orders" in products.text and "ACTIVE" in products.text.upper()
    assert page.by_id("new-subdomain") is None and page.by_id("edit-domain") is None
    owner = parse(login(mesh["olivia"]).get("/domains/online/"))
    assert owner.by_id("new-subdomain").attrs["href"] == "/domains/new/?parent=online"


def test_staff_create_top_level_domain_recorded(mesh):
    client = login(mesh["staff"])
    assert 'href="/domains/new/"' in client.get("/domains/").content.decode()
    r = client.post("/domains/new/", {"slug": "hr", "name": "People", "description": "HR"})
    assert r.status_code == 302 and r["Location"] == "/domains/hr/"
    hr = Domain.objects.get(slug="hr")
    assert hr.parent is None and hr.owner_team is None
    record = EditRecord.objects.get(domain=hr)
    assert (record.action, record.user, record.changes["name"]) == (
        "create",
        mesh["staff"],
        [None, "People"],
    )


def test_parent_owner_team_member_creates_sub_domains_only_there(mesh):
    client = login(mesh["olivia"])
    page = client.get("/domains/new/?parent=sales")
    assert page.status_code == 200
    form = parse(page)
    parent = form.by_id("id_parent")
    values = {o.attrs.get("value") for o in parent.children if o.tag == "option"}
    assert values == {"", str(mesh["sales"].pk), str(mesh["online"].pk)}  # not finance
    assert "selected" in next(
        o.attrs for o in parent.children if o.attrs.get("value") == str(mesh["sales"].pk)
    )
    # top level: refused, parent required
    r = client.post("/domains/new/", {"slug": "x", "name": "X", "owner_team": mesh["sales_eng"].pk})
    assert r.status_code == 200 and 'id="id_parent_error"' in r.content.decode()
    # under someone else's domain: refused
    r = client.post(
        "/domains/new/",
        {
            "slug": "x",
            "name": "X",
            "parent": mesh["finance"].pk,
            "owner_team": mesh["sales_eng"].pk,
        },
    )
    assert r.status_code == 200 and "Select a valid choice" in r.content.decode()
    # the reserved slug
    r = client.post(
        "/domains/new/",
        {
            "slug": "new",
            "name": "X",
            "parent": mesh["sales"].pk,
            "owner_team": mesh["sales_eng"].pk,
        },
    )
    assert "is reserved" in r.content.decode()
    assert not Domain.objects.filter(slug__in=["x", "new"]).exists()
    r = client.post(
        "/domains/new/",
        {
            "slug": "b2b",
            "name": "B2B",
            "parent": mesh["sales"].pk,
            "owner_team": mesh["sales_eng"].pk,
        },
    )
    assert r.status_code == 302
    b2b = Domain.objects.get(slug="b2b")
    assert b2b.parent == mesh["sales"] and b2b.owner_team == mesh["sales_eng"]
    assert EditRecord.objects.get(domain=b2b).user == mesh["olivia"]


def test_others_may_not_create_domains(mesh):
    for user in (mesh["oscar"], User.objects.create_user("tina")):
        client = login(user)
        assert client.get("/domains/new/").status_code == 403
        r = client.post("/domains/new/", {"slug": "x", "name": "X", "parent": mesh["sales"].pk})
        assert r.status_code == 403
    # a member of a team owning no domain
    lone = Team.objects.create(slug="lone", name="Lone")
    tom = User.objects.create_user("tom")
    TeamMembership.objects.create(team=lone, user=tom)
    assert login(tom).get("/domains/new/").status_code == 403
    assert not Domain.objects.filter(slug="x").exists()
    assert Client().get("/domains/new/").status_code == 302  # sign in first


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
