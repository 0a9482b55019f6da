"""Cached scorecards (issue 15 follow-up): a product's computed scorecard is cached
per governance version; a second read runs one query (the product uids) instead of
the policies'; a save of a product starts a new version (the change shows at once);
a write without signal shows after ``MESH_SCORECARD_CACHE_SECONDS``; 0 turns the
cache off. Real cache (the project's file cache), real database."""

import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from governance.scorecards import all_scorecards, invalidate, product_scorecard
from products.models import DataProduct, Domain, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    team = Team.objects.create(slug="sales", name="Sales")
    domain = Domain.objects.create(slug="sales", name="Sales")
    for i in range(5):
        DataProduct.objects.create(
            uid=f"p{i}", name=f"Product {i}", owner_team=team, purpose="why", domain=domain
        )
    invalidate()


def owner_description(uid: str) -> bool | None:
    card = next(c for c in all_scorecards() if c["product"] == uid)
    return next(r["passed"] for r in card["results"] if r["policy"] == "owner-description")


def test_a_second_read_is_served_from_the_cache(products):
    with CaptureQueriesContext(connection) as first:
        cards = all_scorecards()
    with CaptureQueriesContext(connection) as second:
        again = all_scorecards()
    assert again == cards and [c["product"] for c in cards] == [f"p{i}" for i in range(5)]
    assert len(first) > len(second) == 1  # only the list of product uids
    product = DataProduct.objects.get(uid="p1")
    with CaptureQueriesContext(connection) as one:
        card = product_scorecard(product)
    assert card == cards[1] and len(one) == 1


def test_a_save_shows_at_once_a_bulk_update_after_the_ttl(products, settings):
    settings.MESH_SCORECARD_CACHE_SECONDS = 1
    assert owner_description("p0") is True
    product = DataProduct.objects.get(uid="p0")
    product.purpose = ""
    product.save()  # post_save: a new governance version
    assert owner_description("p0") is False
    DataProduct.objects.filter(uid="p0").update(purpose="back")  # no signal
    assert owner_description("p0") is False  # cached until the TTL runs out
    time.sleep(1.2)
    assert owner_description("p0") is True


def test_zero_seconds_turns_the_cache_off(products, settings):
    settings.MESH_SCORECARD_CACHE_SECONDS = 0
    assert owner_description("p2") is True
    DataProduct.objects.filter(uid="p2").update(purpose="")
    assert owner_description("p2") is False
    with CaptureQueriesContext(connection) as again:
        all_scorecards()
    assert len(again) > 1


def test_the_scorecards_page_and_filter_use_the_cache(products):
    User.objects.create_user("lena", password="x")
    client = Client()
    client.force_login(User.objects.get(username="lena"))
    assert client.get("/scorecards/").status_code == 200
    with CaptureQueriesContext(connection) as page:
        html = client.get("/scorecards/").content.decode()
    assert 'data-product="p3"' in html
    with (
        override_settings(MESH_SCORECARD_CACHE_SECONDS=0),
        CaptureQueriesContext(connection) as nocache,
    ):
        client.get("/scorecards/")
    assert len(page) < len(nocache)
    DataProduct.objects.filter(uid="p3").update(owner_team=None)
    invalidate()
    listed = client.get("/products/?failing=owner-description").content.decode()
    assert "/products/p3/" in listed and "/products/p4/" not in listed
