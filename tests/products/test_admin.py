"""Django admin for the mesh models, and the team page (staff manage owners without it)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Asset
from products.models import (
    SLO,
    DataContract,
    DataProduct,
    Domain,
    EditRecord,
    OutputPort,
    SLISample,
    Team,
    TeamMembership,
)
from products.slo import record_sample


@pytest.fixture
def mesh(db):
    """Two teams, a domain, a product with a port bound to an asset, an SLO, a sample."""
    alice = User.objects.create_user("alice", first_name="Alice", last_name="Ng")
    bob = User.objects.create_user("bob")
    sales = Team.objects.create(slug="sales", name="Sales analytics")
    TeamMembership.objects.create(team=sales, user=alice, role="owner")
    TeamMembership.objects.create(team=sales, user=bob, role="steward")
    Team.objects.create(slug="finance", name="Finance")
    domain = Domain.objects.create(slug="sales", name="Sales", owner_team=sales)
    product = DataProduct.objects.create(
        uid="orders", name="Orders", domain=domain, owner_team=sales, purpose="old"
    )
    asset = Asset.objects.create(
        urn="urn:mc:dataset:pg://h/shop.public.orders",
        namespace="pg://h",
        name="orders",
        qualified_name="shop.public.orders",
        platform="postgresql",
    )
    port = OutputPort.objects.create(product=product, name="orders", asset_urn=asset.urn)
    slo = SLO.objects.create(port=port, name="fresh", kind="freshness", threshold=3600)
    record_sample(slo, 10.0)
    DataContract.objects.create(uid="c1", name="orders contract", document={"id": "c1"})
    EditRecord.objects.create(product=product, action="create", summary="seed")
    return {"alice": alice, "bob": bob, "sales": sales, "product": product, "asset": asset}


@pytest.fixture
def admin_client_(mesh) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_every_products_model_has_admin_pages(admin_client_, mesh):
    for model in [
        "team",
        "domain",
        "dataproduct",
        "outputport",
        "datacontract",
        "slo",
        "slisample",
        "editrecord",
    ]:
        resp = admin_client_.get(f"/admin/products/{model}/")
        assert resp.status_code == 200, model
    team = admin_client_.get(f"/admin/products/team/{mesh['sales'].pk}/change/")
    assert b'name="memberships-0-role"' in team.content and b'value="owner"' in team.content
    product = admin_client_.get(f"/admin/products/dataproduct/{mesh['product'].pk}/change/")
    for prefix in (b"members-TOTAL_FORMS", b"output_ports-0-asset_urn", b"input_ports-"):
        assert prefix in product.content


def test_samples_and_history_are_read_only(admin_client_, mesh):
    sample = SLISample.objects.get()
    record = EditRecord.objects.get()
    assert admin_client_.get("/admin/products/slisample/add/").status_code == 403
    assert admin_client_.get("/admin/products/editrecord/add/").status_code == 403
    page = admin_client_.get(f"/admin/products/slisample/{sample.pk}/change/")
    assert page.status_code == 200 and b'name="value"' not in page.content
    resp = admin_client_.post(
        f"/admin/products/slisample/{sample.pk}/change/", {"value": "99", "good": "on"}
    )
    assert resp.status_code == 403
    sample.refresh_from_db()
    assert sample.value == 10.0
    page = admin_client_.get(f"/admin/products/editrecord/{record.pk}/change/")
    assert page.status_code == 200 and b'name="summary"' not in page.content


def _product_post(product, **changes) -> dict:
    data = {
        "uid": product.uid,
        "name": product.name,
        "domain": str(product.domain_id),
        "owner_team": str(product.owner_team_id),
        "status": product.status,
        "version": "",
        "purpose": product.purpose,
        "limitations": "",
        "usage": "",
        "tags": "[]",
        "links": "[]",
        "api_version": "v1.0.0",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "input_ports-TOTAL_FORMS": "0",
        "input_ports-INITIAL_FORMS": "0",
    }
    ports = list(product.output_ports.all())
    data["output_ports-TOTAL_FORMS"] = str(len(ports))
    data["output_ports-INITIAL_FORMS"] = str(len(ports))
    for i, port in enumerate(ports):
        data.update(
            {
                f"output_ports-{i}-id": str(port.pk),
                f"output_ports-{i}-product": str(product.pk),
                f"output_ports-{i}-name": port.name,
                f"output_ports-{i}-version": "",
                f"output_ports-{i}-type": port.type,
                f"output_ports-{i}-description": "",
                f"output_ports-{i}-asset_urn": port.asset_urn,
                f"output_ports-{i}-server": "{}",
            }
        )
    data.update(changes)
    return data


def test_admin_product_edit_is_recorded_and_binds_ports(admin_client_, mesh):
    product = mesh["product"]
    resp = admin_client_.post(
        f"/admin/products/dataproduct/{product.pk}/change/",
        _product_post(product, purpose="new purpose"),
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    product.refresh_from_db()
    assert product.purpose == "new purpose"
    record = product.history.filter(action="admin update").get()
    assert record.user.username == "root"
    assert record.changes == {"purpose": ["old", "new purpose"]}
    assert product.output_ports.get().asset == mesh["asset"]  # bound by URN on save


def test_admin_refuses_a_script_link(admin_client_, mesh):
    product = mesh["product"]
    links = '[{"type": "docs", "url": "javascript:alert(1)"}]'
    resp = admin_client_.post(
        f"/admin/products/dataproduct/{product.pk}/change/", _product_post(product, links=links)
    )
    assert resp.status_code == 200  # the form again, with the error
    assert "link 0:" in resp.content.decode()
    product.refresh_from_db()
    assert product.links == []


def test_admin_team_with_members_inline(admin_client_, mesh):
    resp = admin_client_.post(
        "/admin/products/team/add/",
        {
            "slug": "ops",
            "name": "Ops",
            "description": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": str(mesh["bob"].pk),
            "memberships-0-role": "engineer",
        },
    )
    assert resp.status_code == 302
    team = Team.objects.get(slug="ops")
    assert list(team.memberships.values_list("user__username", "role")) == [("bob", "engineer")]
    created = EditRecord.objects.get(team=team)
    assert created.action == "create" and created.changes["members"] == [None, "bob (engineer)"]


# -- the team page -----------------------------------------------------------------------


def _login(username: str, staff: bool = False) -> Client:
    user = User.objects.filter(username=username).first() or User.objects.create_user(username)
    if staff:
        user.is_staff = True
        user.save()
    client = Client()
    client.force_login(user)
    return client


def test_team_page_lists_members_roles_and_products(mesh):
    page = _login("carol").get("/teams/")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('id="team-sales"')
    row = html[start : html.index("</tr>", start)]
    assert "Alice Ng" in row and ">owner<" in row and "bob" in row and ">steward<" in row
    assert 'href="/products/orders/"' in row and 'href="/domains/sales/"' in row
    assert "/teams/sales/edit/" not in html and "New team" not in html  # not staff


def test_non_staff_cannot_edit_teams(mesh, settings):
    settings.MESH_PUBLIC_READ = False  # reads private: sign in first (issue 10)
    client = _login("alice")  # an owner of the team, but not staff
    assert client.get("/teams/sales/edit/").status_code == 403
    assert client.get("/teams/new/").status_code == 403
    resp = client.post("/teams/sales/edit/", {"slug": "sales", "name": "Hijacked"})
    assert resp.status_code == 403
    assert Team.objects.get(slug="sales").name == "Sales analytics"
    assert _login("anon-check").get("/teams/").status_code == 200
    assert Client().get("/teams/").status_code == 302  # sign-in required


def _members(team: Team) -> list[tuple[str, str]]:
    return sorted(team.memberships.values_list("user__username", "role"))


def _team_post(team: Team | None, fields: dict, rows: list[dict]) -> dict:
    existing = list(team.memberships.order_by("id")) if team else []
    data = {
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": str(len(existing)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"members-{i}-{key}"] = value
    return data


def test_staff_manage_team_members(mesh):
    client = _login("admin", staff=True)
    sales = mesh["sales"]
    page = client.get("/teams/sales/edit/")
    assert page.status_code == 200 and b'value="alice"' in page.content
    alice_m = sales.memberships.get(user__username="alice")
    bob_m = sales.memberships.get(user__username="bob")
    User.objects.create_user("dave")
    fields = {"slug": "sales", "name": "Sales", "description": "Owns sales data"}
    resp = client.post(
        "/teams/sales/edit/",
        _team_post(
            sales,
            fields,
            [
                {"id": str(alice_m.pk), "user": "alice", "role": "steward"},
                {"id": str(bob_m.pk), "user": "bob", "role": "steward", "DELETE": "on"},
                {"user": "dave", "role": "owner"},
            ],
        ),
    )
    assert resp.status_code == 302 and resp["Location"] == "/teams/#team-sales"
    sales.refresh_from_db()
    assert sales.name == "Sales" and sales.description == "Owns sales data"
    assert _members(sales) == [("alice", "steward"), ("dave", "owner")]
    # the edit is in the team's history, shown on the teams page
    edit = EditRecord.objects.get(team=sales)
    assert (edit.action, edit.user.username) == ("update", "admin")
    assert edit.changes["members"] == [
        "alice (owner), bob (steward)",
        "alice (steward), dave (owner)",
    ]
    assert edit.changes["name"] == ["Sales analytics", "Sales"] and "slug" not in edit.changes
    page = client.get("/teams/").content.decode()
    assert "History (1)" in page and "alice (steward), dave (owner)" in page
    # new members may now edit the team's products (owning-team permission)
    dave = _login("dave")
    assert dave.get("/products/orders/edit/").status_code == 200


def test_team_form_errors_name_the_problem_and_save_nothing(mesh):
    client = _login("admin", staff=True)
    sales = mesh["sales"]
    alice_m = sales.memberships.get(user__username="alice")
    bob_m = sales.memberships.get(user__username="bob")
    base = [
        {"id": str(alice_m.pk), "user": "alice", "role": "owner"},
        {"id": str(bob_m.pk), "user": "bob", "role": "steward"},
    ]
    fields = {"slug": "sales", "name": "Renamed"}
    resp = client.post(
        "/teams/sales/edit/", _team_post(sales, fields, [*base, {"user": "zed", "role": "x"}])
    )
    assert resp.status_code == 200
    assert "no user named &#x27;zed&#x27;" in resp.content.decode()
    resp = client.post(
        "/teams/sales/edit/", _team_post(sales, fields, [*base, {"user": "bob", "role": "x"}])
    )
    assert resp.status_code == 200 and b"duplicate" in resp.content.lower()
    resp = client.post(
        "/teams/sales/edit/", _team_post(sales, {"slug": "finance", "name": "X"}, base)
    )
    assert resp.status_code == 200 and b"already exists" in resp.content
    sales.refresh_from_db()
    assert sales.name == "Sales analytics"
    assert _members(sales) == [("alice", "owner"), ("bob", "steward")]
    assert not EditRecord.objects.filter(team=sales).exists()


def test_staff_create_team(mesh):
    client = _login("admin", staff=True)
    resp = client.post(
        "/teams/new/",
        _team_post(
            None,
            {"slug": "ml", "name": "ML platform", "description": ""},
            [{"user": "alice", "role": "owner"}, {"user": "", "role": "member"}],
        ),
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert _members(Team.objects.get(slug="ml")) == [("alice", "owner")]
    created = EditRecord.objects.get(team__slug="ml")
    assert created.action == "create" and created.changes["members"] == [None, "alice (owner)"]
    assert "ML platform" in client.get("/teams/").content.decode()
