"""The usage API (``/api/v1/assets/<urn>/usage``, ``/api/v1/usage/top``), its OpenAPI
documentation and the asset page's Usage tab, over the generated query logs."""

from django.utils import timezone

from catalog.urns import dataset_urn
from tests.factories import make_asset
from tests.usage.conftest import CHINOOK_NS

CUSTOMER = dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Customer")


def test_asset_usage_endpoint(client, harvested):
    today = timezone.now().date()
    body = client.get(f"/api/v1/assets/{CUSTOMER}/usage").json()
    assert body["urn"] == CUSTOMER and body["window_days"] == 30
    assert body["totals"] == {"queries": 8, "writes": 0, "users": 2, "rows": 36}
    assert body["daily"][-1] == {
        "day": today.isoformat(), "queries": 3, "users": 1, "rows": 21, "monthly": False,
    }  # fmt: skip
    assert body["top_users"][0] == {"user": "alice", "queries": 5}
    assert body["popularity"] == 100.0
    assert body["co_used"][0]["name"] == "Invoice"
    assert body["top_queries"][0]["query"] == (
        "SELECT FirstName, LastName FROM Customer WHERE Country = ?"
    )
    # a one-day window only holds today's bob joins
    one_day = client.get(f"/api/v1/assets/{CUSTOMER}/usage?window=1").json()
    assert one_day["totals"]["queries"] == 3 and one_day["top_users"] == [
        {"user": "bob", "queries": 3}
    ]


def test_asset_usage_errors(client, db):
    assert client.get("/api/v1/assets/urn:mc:dataset:x/y/usage").status_code == 404
    make_asset("a.b.c")
    bad = client.get("/api/v1/assets/urn:mc:dataset:sqlite://s/a.b.c/usage?window=0")
    assert bad.status_code == 400
    assert bad.json() == {"window": ["window must be between 1 and 365 days"]}
    # the catalog's asset endpoint still answers for the same URN
    assert client.get("/api/v1/assets/urn:mc:dataset:sqlite://s/a.b.c").status_code == 200


def test_top_endpoint(client, harvested):
    body = client.get("/api/v1/usage/top?limit=2").json()
    assert [(r["name"], r["queries"], r["users"], r["popularity"]) for r in body] == [
        ("Customer", 8, 2, 100.0),
        ("orders", 6, 2, 87.5),
    ]
    assert [r["name"] for r in client.get("/api/v1/usage/top?platform=duckdb").json()] == [
        "orders",
        "customers",
    ]
    assert client.get("/api/v1/usage/top?domain=nowhere").json() == []
    assert client.get("/api/v1/usage/top?limit=x").status_code == 400


def test_openapi_documents_usage(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/assets/{urn}/usage" in schema["paths"]
    assert "/api/v1/usage/top" in schema["paths"]
    assert "AssetUsage" in schema["components"]["schemas"]


def test_usage_tab(client, harvested):
    page = client.get(f"/assets/{CUSTOMER}?tab=usage").content.decode()
    assert '<a class="tab" href="?tab=usage" aria-current="page">' in page
    assert "data-usage-queries>8<" in page
    assert "alice" in page and "Frequently joined with" in page
    assert "SELECT FirstName, LastName FROM Customer WHERE Country = ?" in page
    empty = client.get(
        f"/assets/{dataset_urn(CHINOOK_NS, 'Chinook_Sqlite.main.Employee')}?tab=usage"
    ).content.decode()
    assert "No usage recorded in this window" in empty
