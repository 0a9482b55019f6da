"""Search API, Python functions, rebuild_index and enrichers on the quickstart samples."""

import io
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from catalog.models import Asset
from catalog.search import get_search_backend, search, suggest
from harvesters.samples import harvest_sample_sources


@pytest.fixture(params=["sqlite", "opensearch"])
def search_backend(request, settings):
    """Each test on the embedded index (the conftest default) and on OpenSearch (the
    session's test node, an alias of this test's own, dropped after)."""
    if request.param == "sqlite":
        yield request.param
        return
    url = request.getfixturevalue("opensearch_server")
    settings.MESH_SEARCH = {
        "default": {
            "BACKEND": "catalog.search.opensearch.OpenSearchBackend",
            "URL": url,
            "INDEX": f"mesh-test-api-{uuid.uuid4().hex[:8]}",
            "TIMEOUT": 60,
        }
    }
    yield request.param
    get_search_backend().drop()


@pytest.fixture
def samples_indexed(db, samples, search_backend, django_capture_on_commit_callbacks):
    """Chinook, the jaffle_shop warehouse and its dbt project, harvested; the search
    index fed by the outbox after each commit, as in production."""
    with django_capture_on_commit_callbacks(execute=True):
        rows = harvest_sample_sources(samples, io.StringIO())
    assert {r["source"] for r in rows} == {"chinook", "jaffle-warehouse", "jaffle-dbt"}
    assert all(r["status"] == "succeeded" for r in rows), rows
    return rows


def names(body) -> list[str]:
    return [r["name"] for r in body["results"]]


def test_search_exact_name_first_with_facets(samples_indexed, client):
    resp = client.get("/api/v1/search", {"q": "customers"})
    assert resp.status_code == 200
    body = resp.json()
    first = body["results"][0]
    assert first["name"] == "customers" and "jaffle_shop" in first["urn"]
    assert set(first) >= {"urn", "name", "type", "platform", "description", "highlights", "score"}
    assert {"field": "name", "snippet": "<mark>customers</mark>"} in first["highlights"]
    assert set(body["facets"]) >= {"type", "platform", "source", "owner", "tag"}
    platform_counts = {f["value"]: f["count"] for f in body["facets"]["platform"]}
    assert sum(platform_counts.values()) == body["count"]
    assert platform_counts["sqlite"] == 2  # Chinook's Customer (name) and Invoice (CustomerId)


def test_typo_finds_chinook_and_jaffle_customers(samples_indexed, client):
    for typo in ("custmer", "cusomers"):
        body = client.get("/api/v1/search", {"q": typo}).json()
        top3 = body["results"][:3]
        assert any(r["name"] == "Customer" and r["platform"] == "sqlite" for r in top3), typo
        assert any(r["name"] == "customers" and "jaffle_shop" in r["urn"] for r in top3), typo
        assert body["corrections"][typo]


def test_multi_valued_filters(samples_indexed, client):
    resp = client.get("/api/v1/search?q=customer&platform=sqlite&platform=duckdb")
    body = resp.json()
    assert body["count"] > 0
    assert {r["platform"] for r in body["results"]} == {"sqlite", "duckdb"}
    only = client.get("/api/v1/search?q=customer&platform=sqlite&type=table").json()
    assert names(only) == ["Customer", "Invoice"]


def test_suggest_returns_names_urns_types(samples_indexed, client):
    body = client.get("/api/v1/search/suggest", {"q": "cust"}).json()
    got = [(r["name"], r["type"]) for r in body["results"]]
    assert ("Customer", "table") in got and ("customers", "table") in got
    assert all(r["urn"].startswith("urn:mc:") for r in body["results"])
    assert client.get("/api/v1/search/suggest", {"q": ""}).json() == {"results": []}


def test_bad_parameters_are_named_in_json(samples_indexed, client):
    resp = client.get("/api/v1/search", {"q": "x", "page": "0"})
    assert resp.status_code == 400 and "page" in resp.json()
    resp = client.get("/api/v1/search", {"page_size": "1000"})
    assert resp.status_code == 400 and "page_size" in resp.json()
    resp = client.get("/api/v1/search/suggest", {"q": "c", "limit": "abc"})
    assert resp.status_code == 400 and "limit" in resp.json()


def test_python_functions_match_api(samples_indexed, client):
    api = client.get("/api/v1/search?q=orders&type=table").json()
    assert search("orders", {"type": ["table"]}, 1, 20) == api
    assert suggest("InvoiceL", 3)[0]["name"] == "InvoiceLine"


def test_rebuild_index_command(samples_indexed):
    get_search_backend().clear()
    assert search("customers")["count"] == 0
    out = io.StringIO()
    call_command("rebuild_index", stdout=out)
    live = Asset.objects.filter(removed=False).count()
    assert f"rebuilt search index: {live} documents" in out.getvalue()
    assert get_search_backend().count() == live
    assert search("customers")["results"][0]["name"] == "customers"


def domain_enricher(asset_ids):
    """Test enricher: every Chinook asset is in domain ``media`` / product ``music-store``."""
    return {
        a.id: {"domain": ["media"], "data_product": ["music-store"]}
        for a in Asset.objects.filter(id__in=asset_ids, urn__contains="Chinook")
    }


def test_enrichers_add_domain_and_product_facets(samples_indexed, settings):
    settings.MESH_SEARCH_ENRICHERS = [f"{__name__}.domain_enricher"]
    call_command("rebuild_index", stdout=io.StringIO())
    body = search("", {"domain": ["media"]}, 1, 50)
    assert body["count"] == 11  # the 11 Chinook tables
    assert body["facets"]["data_product"] == [{"value": "music-store", "count": 11}]


def test_unreachable_search_cluster_is_a_503_naming_no_address(db, settings, client):
    from tests.opensearch_server import free_port

    settings.MESH_SEARCH = {
        "default": {
            "BACKEND": "catalog.search.opensearch.OpenSearchBackend",
            "URL": f"http://user:s3cret@127.0.0.1:{free_port()}",  # nothing listens there
            "INDEX": "mesh-test-dead",
            "TIMEOUT": 2,
        }
    }
    for path in ("/api/v1/search", "/api/v1/search/suggest"):
        resp = client.get(path, {"q": "customers"})
        assert resp.status_code == 503, path
        detail = resp.json()["detail"]
        assert detail == "the search cluster is unreachable"
        assert "s3cret" not in resp.content.decode() and "127.0.0.1" not in detail
    page = client.get("/search", {"q": "customers"})
    assert page.status_code == 200 and b"Search is unavailable right now." in page.content


def test_unknown_alias_or_backend_is_named(settings):
    with pytest.raises(ImproperlyConfigured, match="no alias 'other'"):
        get_search_backend("other")
    settings.MESH_SEARCH = {"default": {"BACKEND": "catalog.search.nope.Backend"}}
    with pytest.raises(ImproperlyConfigured, match=r"MESH_SEARCH\['default'\]"):
        get_search_backend()


@pytest.mark.parametrize(
    "snippet,shown",
    [
        ("CustomerId \x02Customer\x03 Id FirstName First Name", "\x02CustomerId\x03 FirstName"),
        ("InvoiceId Invoice Id BillingAddress Billing Address…", "InvoiceId BillingAddress…"),
        ("customer_id \x02customer\x03 id", "customer_id \x02customer\x03 id"),  # not camelCase
    ],
)
def test_snippets_fold_the_indexed_parts_of_camelcase_names(snippet, shown):
    from catalog.search.sqlite_query import fold_identifier_parts

    assert fold_identifier_parts(snippet) == shown
