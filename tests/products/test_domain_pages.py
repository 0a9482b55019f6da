"""Domain pages with the Django test client on a real database: the domain tree, the
domain page, who may create domains and sub-domains, and their history."""

from django.contrib.auth.models import User
from django.test import Client

from products.models import (
    Domain,
    EditRecord,
    Team,
    TeamMembership,
)
from tests.products.html import login, parse

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
