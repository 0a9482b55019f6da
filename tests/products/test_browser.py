"""Browser test: an owner edits a product's description and adds a freshness SLO in
Chromium; another signed-in user sees no edit controls and is refused (403)."""

import os

import pytest
from django.contrib.auth.models import User

from products.models import SLO, DataProduct, Domain, OutputPort, Team, TeamMembership
from tests.factories import make_asset

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def product(transactional_db):
    owner = User.objects.create_user("olivia", password="owner-pw-1")
    User.objects.create_user("oscar", password="other-pw-1")
    team = Team.objects.create(slug="sales-eng", name="Sales Eng")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    domain = Domain.objects.create(slug="sales", name="Sales", owner_team=team)
    product = DataProduct.objects.create(
        uid="orders", name="Orders", domain=domain, owner_team=team, status="active"
    )
    # the port publishes a warehouse table, so a freshness SLO is checked live with SQL
    # and needs a timestamp column
    asset = make_asset(
        "shop.main.orders", "sqlite://shop", source_kind="sql",
        source_config={"url": "sqlite:///:memory:"},
    )  # fmt: skip
    OutputPort.objects.create(product=product, name="orders", version="1", asset=asset)
    return product


def sign_in(browser, base: str, username: str, password: str):
    page = browser.new_context(base_url=base).new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/?next=/products/orders/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/products/orders/")
    return page


def test_owner_edits_and_adds_slo_other_user_cannot(live_server, browser, product):
    page = sign_in(browser, live_server.url, "olivia", "owner-pw-1")
    page.click("#edit-product")
    page.fill("#id_purpose", "Every order placed in the web shop.")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/products/orders/")
    assert page.inner_text("#purpose") == "Every order placed in the web shop."

    page.click("#add-slo")
    page.select_option("#id_kind", "freshness")
    page.fill("#id_name", "orders fresh within 1 h")
    page.click("button:has-text('Save')")
    # inline validation: the freshness SLO needs a column and a threshold
    assert "a freshness SLO needs a column" in page.inner_text("#id_column_error")
    page.fill("#id_column", "order_date")
    page.fill("#id_threshold", "3600")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/products/orders/")
    assert "orders fresh within 1 h" in page.inner_text("table.slos")
    assert "no data" in page.inner_text("table.slos")
    assert "purpose" in page.inner_text("ol.history")

    other = sign_in(browser, live_server.url, "oscar", "other-pw-1")
    assert other.locator("#edit-product").count() == 0
    assert other.locator("#add-slo").count() == 0
    response = other.goto("/products/orders/edit/")
    assert response.status == 403
    response = other.goto("/products/orders/slos/new/")
    assert response.status == 403
    assert DataProduct.objects.get(uid="orders").purpose == "Every order placed in the web shop."
    assert SLO.objects.get().kind == "freshness"
