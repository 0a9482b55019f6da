"""The products list's "Failing policy" select box (issue 15 follow-up): the policies
of the registry as options, a plain GET form that filters without JavaScript, the
chosen policy kept selected, an unknown one from a shared link kept and matching
nothing; then the same in Chromium."""

import os

import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.policies import policies
from products.models import DataProduct, Team

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _products():
    team = Team.objects.create(slug="sales", name="Sales")
    DataProduct.objects.create(uid="described", name="Described", owner_team=team, purpose="x")
    DataProduct.objects.create(uid="bare", name="Bare product")
    User.objects.create_user("lena", password="reader-pw-1")


@pytest.mark.django_db
def test_the_list_page_has_a_failing_policy_select():
    _products()
    client = Client()
    client.force_login(User.objects.get(username="lena"))
    page = client.get("/products/").content.decode()
    assert '<select name="failing"' in page and "Failing policy" in page
    for policy in policies():
        assert f'<option value="{policy.name}">{policy.label}</option>' in page
    chosen = client.get("/products/?failing=owner-description").content.decode()
    assert '<option value="owner-description" selected>' in chosen
    assert "/products/bare/" in chosen and "/products/described/" not in chosen
    assert "1 data product match these filters" in chosen
    unknown = client.get("/products/?failing=no-such-policy").content.decode()
    assert '<option value="no-such-policy" selected>no-such-policy (unknown)</option>' in unknown
    assert "/products/bare/" not in unknown and "/products/described/" not in unknown
    # the API is unchanged: the same filter, by URL
    api = client.get("/api/v1/products?failing=owner-description").json()
    assert [p["uid"] for p in api["results"]] == ["bare"]


@pytest.mark.browser
def test_choosing_a_failing_policy_filters_the_list(live_server, browser, transactional_db):
    _products()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/?next=/products/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", "reader-pw-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/products/")
    assert page.locator(".products-table a.product-name").count() == 2
    page.select_option("select[name=failing]", "owner-description")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**failing=owner-description**")
    names = page.locator(".products-table a.product-name").all_inner_texts()
    assert names == ["Bare product"]
    assert page.locator("select[name=failing]").input_value() == "owner-description"
    context.close()
