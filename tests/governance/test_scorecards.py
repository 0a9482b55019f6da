"""Policies and scorecards (issue 15) on the sample products (Chinook invoicing, jaffle
customer 360, jaffle staging): figures per policy, score, what to fix, the products
list filter ``?failing=``, the daily snapshot trend, the API, a company's own policy."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from access.models import PortAccessPolicy
from catalog.outbox import process_outbox
from governance.models import ColumnClass
from governance.policies import DEFAULT_POLICIES, Outcome, Policy, policies
from governance.scorecards import all_scorecards, snapshot
from harvesters.samples import harvest_sample_sources
from products.models import OutputPort
from products.samples import load_sample_products
from tests.governance.conftest import asset_named

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def products_catalog(django_db_setup, django_db_blocker, search_settings):
    """The sample sources harvested and the sample products loaded, once per module."""
    with django_db_blocker.unblock(), override_settings(MESH_SEARCH=search_settings):
        harvest_sample_sources(settings.MESH_SAMPLES_DIR, None)
        load_sample_products(settings.MESH_SAMPLES_DIR, None)
        process_outbox()
        yield
        call_command("flush", interactive=False, verbosity=0)


def results(uid: str) -> dict:
    card = next(c for c in all_scorecards() if c["product"] == uid)
    return {r["policy"]: r for r in card["results"]} | {"score": card["score"]}


def test_sample_product_figures(products_catalog):
    chinook = results("chinook-invoicing")
    assert chinook["owner-description"]["passed"] is True
    assert chinook["ports-contracts-slos"]["passed"] is False
    assert "customers (no contract or SLO)" in chinook["ports-contracts-slos"]["detail"]
    assert chinook["documented-columns"]["passed"] is False
    assert (
        chinook["documented-columns"]["detail"]
        == "0% of 22 columns documented (at least 80% wanted)"
    )
    assert chinook["personal-data-classified"]["passed"] is False
    assert chinook["personal-data-classified"]["detail"] == "9 undecided personal-data proposal(s)"
    assert chinook["personal-data-access"]["passed"] is None
    assert chinook["no-schema-drift"]["passed"] is False
    assert "extra BillingAddress" in chinook["no-schema-drift"]["detail"]
    staging = results("jaffle-shop-staging")
    assert staging["slos-met"]["passed"] is None and staging["no-schema-drift"]["passed"] is None
    assert staging["personal-data-classified"]["passed"] is True
    c360 = results("jaffle-customer-360")
    assert c360["ports-contracts-slos"]["passed"] is True
    assert c360["documented-columns"]["passed"] is True
    assert "missing discount_code" in c360["no-schema-drift"]["detail"]
    for card in (chinook, staging, c360):
        verdicts = [
            r["passed"] for k, r in card.items() if k != "score" and r["passed"] is not None
        ]
        assert card["score"] == round(100 * sum(verdicts) / len(verdicts), 1)


def test_personal_data_needs_an_access_controlled_port(products_catalog):
    customer = asset_named("Customer")
    port = OutputPort.objects.get(product__uid="chinook-invoicing", asset=customer)
    ColumnClass.objects.filter(asset=customer, field_name="Email").update(status="accepted")
    r = results("chinook-invoicing")["personal-data-access"]
    assert r["passed"] is False and port.name in r["fix"]
    PortAccessPolicy.objects.create(port=port, personal_data=True)
    assert results("chinook-invoicing")["personal-data-access"]["passed"] is True


def test_pages_api_filter_and_trend(products_catalog):
    client = Client()
    page = client.get("/scorecards/").content.decode()
    assert 'data-product="chinook-invoicing"' in page and "?failing=documented-columns" in page
    card = client.get("/scorecards/products/chinook-invoicing/").content.decode()
    assert "Describe: " in card and 'data-policy="documented-columns" data-passed="False"' in card

    listed = client.get("/products/?failing=documented-columns").content.decode()
    assert "chinook-invoicing" in listed and "jaffle-shop-staging" in listed
    assert "/products/jaffle-customer-360/" not in listed
    api = client.get("/api/v1/products?failing=documented-columns").json()
    assert sorted(p["uid"] for p in api["results"]) == ["chinook-invoicing", "jaffle-shop-staging"]
    assert client.get("/api/v1/products?failing=no-such-policy").json()["count"] == 0

    today = timezone.localdate()
    snapshot(today - timedelta(days=1))
    snapshot()
    snapshot()  # a second run the same day replaces, never duplicates
    data = client.get("/api/v1/scorecards/products/chinook-invoicing").json()
    assert [p["day"] for p in data["trend"]] == [
        (today - timedelta(days=1)).isoformat(),
        today.isoformat(),
    ]
    assert data["score"] == data["trend"][-1]["score"]
    domain = client.get("/api/v1/scorecards").json()["domains"][0]
    assert set(domain) >= {"domain", "score", "products", "failing"}
    trend = client.get(f"/api/v1/scorecards/domains/{domain['domain']}").json()["trend"]
    assert len(trend) == 2
    assert 'id="trend"' in client.get(f"/scorecards/domains/{domain['domain']}/").content.decode()
    assert [p["name"] for p in client.get("/api/v1/policies").json()][:2] == [
        "owner-description",
        "ports-contracts-slos",
    ]


class HasTags(Policy):
    """A company's own policy (test): the product has at least one tag."""

    name = "has-tags"
    label = "Has tags"

    def check(self, product) -> Outcome:
        return Outcome(
            bool(product.tags), f"{len(product.tags)} tags", "" if product.tags else "Add a tag."
        )


class Broken(Policy):
    """A policy that raises: counted as failed, never a crash."""

    name = "broken"
    label = "Broken"

    def check(self, product) -> Outcome:
        raise RuntimeError("boom")


def test_a_company_extends_the_registry(products_catalog, settings):
    settings.MESH_GOVERNANCE_POLICIES = [
        *DEFAULT_POLICIES,
        f"{__name__}.HasTags",
        f"{__name__}.Broken",
    ]
    policies.cache_clear()
    try:
        card = results("chinook-invoicing")
        assert card["has-tags"]["passed"] in (True, False)
        assert card["broken"]["passed"] is False and "RuntimeError" in card["broken"]["detail"]
        assert Client().get("/products/?failing=broken").status_code == 200
    finally:
        policies.cache_clear()
