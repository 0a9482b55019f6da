"""Issue 9, item 11 (correctness side): hot anonymous reads come from memory, never stale.

The speed itself is measured by ``benchmarks/bench_read_load.py``.
"""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from harvesters import registry
from harvesters.runner import run_harvest


@pytest.fixture(autouse=True)
def hot_cache_on(settings):
    """conftest turns the cache off for every test; these turn it on, on a clean cache."""
    from django.core.cache import caches

    settings.MESH_HOT_CACHE_SECONDS = 300
    caches["hot"].clear()


@pytest.fixture
def list_kind(monkeypatch):
    monkeypatch.setitem(
        registry.HARVESTERS, "list", "tests.harvesters.test_framework.ListHarvester"
    )


def test_repeated_anonymous_reads_are_cached_and_a_write_invalidates_them(
    client, make_source, list_kind
):
    source = make_source("chain", "list", {"tables": ["orders"]})
    run_harvest(source)
    first = client.get("/api/v1/assets", {"q": "ord"})
    again = client.get("/api/v1/assets", {"q": "ord"})
    assert first.json() == again.json() and again["X-Mesh-Cache"] == "hit"
    assert again.json()["count"] == 1
    source.config = {"tables": ["orders", "order_items"]}
    source.save()
    run_harvest(source)  # a write: the catalog version moves on
    fresh = client.get("/api/v1/assets", {"q": "ord"})
    assert "X-Mesh-Cache" not in fresh and fresh.json()["count"] == 2


def test_signed_in_reads_are_never_cached(client, make_source, list_kind):
    run_harvest(make_source("chain", "list", {"tables": ["orders"]}))
    token = Token.objects.create(user=User.objects.create_user("u")).key
    for _ in range(2):
        resp = client.get("/api/v1/assets", HTTP_AUTHORIZATION=f"Token {token}")
        assert resp.status_code == 200 and "X-Mesh-Cache" not in resp


def test_anonymous_search_page_is_cached_without_a_cookie_and_signed_in_pages_are_not(
    client, make_source, list_kind
):
    """Issue 9, item 11: the HTML search page of the read mix is served from memory for
    anonymous visitors (it no longer sets a CSRF cookie); a write invalidates it; signed-in
    users always get their own page (with the CSRF token their forms need)."""
    source = make_source("chain", "list", {"tables": ["orders"]})
    run_harvest(source)
    first = client.get("/search", {"q": "orders"})
    assert first.status_code == 200 and not first.cookies
    again = client.get("/search", {"q": "orders"})
    assert again["X-Mesh-Cache"] == "hit" and again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again.get("Content-Security-Policy") == first.get("Content-Security-Policy")
    assert again.get("X-Frame-Options") == first.get("X-Frame-Options")
    source.config = {"tables": ["orders", "orders_archive"]}
    source.save()
    run_harvest(source)
    fresh = client.get("/search", {"q": "orders"})
    assert fresh.status_code == 200 and "X-Mesh-Cache" not in fresh  # rendered anew
    client.force_login(User.objects.create_user("signed"))
    for _ in range(2):
        page = client.get("/search", {"q": "orders"})
        assert "X-Mesh-Cache" not in page and b"X-CSRFToken" in page.content


def test_a_version_window_serves_anonymous_reads_up_to_that_old(
    client, settings, make_source, list_kind
):
    """``MESH_HOT_CACHE_VERSION_SECONDS``: within the window a process keeps the catalog
    version it read, so an anonymous read after a write may be the cached one; once the
    window is over (here: set back to 0, the default) the write shows at once."""
    settings.MESH_HOT_CACHE_VERSION_SECONDS = 3600
    source = make_source("chain", "list", {"tables": ["orders"]})
    run_harvest(source)
    first = client.get("/api/v1/assets", {"q": "ord"})
    assert first.json()["count"] == 1
    source.config = {"tables": ["orders", "order_items"]}
    source.save()
    run_harvest(source)
    within = client.get("/api/v1/assets", {"q": "ord"})
    assert within["X-Mesh-Cache"] == "hit" and within.json()["count"] == 1
    settings.MESH_HOT_CACHE_VERSION_SECONDS = 0
    fresh = client.get("/api/v1/assets", {"q": "ord"})
    assert "X-Mesh-Cache" not in fresh and fresh.json()["count"] == 2
