"""Browser tests (Chromium): a steward edits an asset's description and a column inline
on the asset page and sees the history; accepts a proposed class, which propagates
downstream; a plain reader sees no edit controls."""

import os

import pytest
from django.contrib.auth.models import User

from catalog.models import Field
from governance.classification import detect
from governance.models import ColumnClass
from identity.models import RoleAssignment
from lineage.models import FieldLineageEdge
from tests.factories import make_asset

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def assets(transactional_db):
    steward = User.objects.create_user("stella", password="steward-pw-1")
    RoleAssignment.objects.create(user=steward, role="steward")
    User.objects.create_user("rita", password="reader-pw-1")
    raw = make_asset(
        "shop.main.customers", "sqlite://shop", source_kind="sql", description="Raw customers."
    )
    mart = make_asset("shop.main.customer_mart", "sqlite://shop", source_kind="sql")
    for asset in (raw, mart):
        Field.objects.create(
            asset=asset, name="email", data_type="string", ordinal=1, description="harvested doc"
        )
        Field.objects.create(asset=asset, name="id", data_type="integer", ordinal=0)
    FieldLineageEdge.objects.create(
        key="browser-email",
        upstream=raw.fields.get(name="email"),
        downstream=mart.fields.get(name="email"),
        origin=raw.provenance.first().source,
        subtype="IDENTITY",
    )
    detect([raw, mart], sample=False)
    return raw, mart


def sign_in(browser, base: str, username: str, password: str, next_url: str):
    page = browser.new_context(base_url=base).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")
    return page


def test_steward_curates_inline_and_accepts_a_class(live_server, browser, assets):
    raw, mart = assets
    url = f"/assets/{raw.urn}"
    page = sign_in(browser, live_server.url, "stella", "steward-pw-1", url)
    page.click("#curate-asset summary")
    page.fill("#curate-description", "Customers with a **verified** e-mail.")
    page.fill("#curate-tags", "crm, gold")
    page.click("#curate-save")
    page.wait_for_url(f"**{url}")
    assert page.inner_text("section.description") == "Customers with a verified e-mail."
    assert "The description above is the curated one" in page.inner_text("#curation")
    assert page.locator("#curated-tags .chip").all_inner_texts() == ["crm", "gold"]

    page.click("#curate-columns summary")
    page.fill("textarea[name='col:email:description']", "Contact e-mail (curated)")
    page.click("#curate-columns-save")
    page.wait_for_url(f"**{url}")
    assert "Contact e-mail (curated)" in page.inner_text("#schema-table")

    page.click("a.tab:has-text('Edit history')")
    page.wait_for_selector("#history-table")
    assert "stella" in page.inner_text("#history-table")

    page.click("a.tab:has-text('Classification')")
    row = page.locator("tr[data-class='email:email']")
    assert row.get_attribute("data-status") == "proposed"
    row.locator("button:has-text('Accept')").click()
    page.wait_for_selector("tr[data-class='email:email'][data-status='accepted']")
    assert "confidential" in page.inner_text("#sensitivity").lower()
    assert ColumnClass.objects.get(asset=raw, field_name="email").status == "accepted"

    page.goto(f"/assets/{mart.urn}?tab=classification")
    mart_row = page.locator("tr[data-class='email:email']")
    assert mart_row.get_attribute("data-status") == "accepted"
    assert "propagated from customers.email" in mart_row.inner_text()


def test_reader_sees_no_edit_controls(live_server, browser, assets):
    raw, _ = assets
    url = f"/assets/{raw.urn}"
    page = sign_in(browser, live_server.url, "rita", "reader-pw-1", url)
    assert page.locator("#curate-asset").count() == 0
    assert page.locator("#curate-columns").count() == 0
    page.goto(f"{url}?tab=classification")
    assert page.locator("button:has-text('Accept')").count() == 0
