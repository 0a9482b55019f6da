"""The catalog's own usage: asset page views and search-result clicks per day and user,
the per-user opt-out and the global setting, the home page's "Popular" and "Recently
used by you", the popularity badge (header, search results), column popularity in the
schema table and the usage section of output ports. SQLite and PostgreSQL."""

import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Asset
from catalog.urns import dataset_urn
from tests.factories import make_asset
from tests.usage.conftest import CHINOOK_NS
from usage.catalog_usage import asset_views, popular_assets, recently_used
from usage.models import AssetView, UsagePreference
from usage.queries import port_usage

CUSTOMER = dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Customer")
TRACK = dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Track")


def rows() -> list[tuple]:
    """``[(asset name, user_key, views, clicks)]`` of every AssetView row."""
    return sorted(AssetView.objects.values_list("asset__name", "user_key", "views", "clicks"))


def test_views_and_search_clicks_per_day_and_user(client, db, django_user_model):
    orders = make_asset("main.orders")
    make_asset("main.customers")
    url = f"/assets/{orders.urn}"
    assert client.get(url).status_code == 200
    client.get(url + "?from=search")
    client.get(url + "?tab=schema")  # a tab switch is the same visit: not counted
    alice = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(alice)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    upserts = [q["sql"] for q in ctx.captured_queries if "usage_assetview" in q["sql"]]
    assert len(upserts) == 1 and "ON CONFLICT" in upserts[0]  # one statement per view
    client.get(url + "?from=search")
    assert rows() == [("orders", 0, 2, 1), ("orders", alice.pk, 2, 1)]
    assert AssetView.objects.get(user_key=alice.pk).day == timezone.now().date()
    assert asset_views(orders) == {"views": 4, "clicks": 2}
    page = client.get(url + "?tab=usage").content.decode()
    assert "data-usage-page-views>4<" in page and "data-usage-clicks>2<" in page
    api = client.get(f"/api/v1/assets/{orders.urn}/usage").json()
    assert api["page_views"] == {"views": 4, "clicks": 2}


def test_opt_out_per_user(client, db, django_user_model):
    orders = make_asset("main.orders")
    alice = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(alice)
    client.get(f"/assets/{orders.urn}")
    assert rows() == [("orders", alice.pk, 1, 0)]
    assert [r["asset"].name for r in recently_used(alice)] == ["orders"]
    bad = client.post("/usage/preferences", {"record_views": "maybe"})
    assert bad.status_code == 400 and "record_views must be" in bad.content.decode()
    assert client.post("/usage/preferences", {"record_views": "off"}).status_code == 302
    assert UsagePreference.objects.get(user=alice).record_views is False
    assert rows() == [("orders", 0, 1, 0)]  # her past view is kept, anonymous
    client.get(f"/assets/{orders.urn}")
    assert rows() == [("orders", 0, 2, 0)]
    assert recently_used(alice) == []
    home = client.get("/").content.decode()
    assert "Recording of your views is off" in home
    client.post("/usage/preferences", {"record_views": "on"})
    client.get(f"/assets/{orders.urn}")
    assert rows() == [("orders", 0, 2, 0), ("orders", alice.pk, 1, 0)]


def test_global_setting_keeps_every_view_anonymous(client, db, django_user_model, settings):
    settings.MESH_USAGE_RECORD_USERS = False
    orders = make_asset("main.orders")
    alice = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(alice)
    client.get(f"/assets/{orders.urn}")
    assert rows() == [("orders", 0, 1, 0)]
    assert recently_used(alice) == []
    assert "anonymously for everyone" in client.get("/usage/preferences").content.decode()


def test_home_popular_and_recently_used(client, harvested, django_user_model):
    _, _, today = harvested
    # "alice" is also a user of the Chinook query log: Customer yesterday, Album today
    alice = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(alice)
    client.get(f"/assets/{TRACK}")
    recent = [(r["asset"].name, r["how"]) for r in recently_used(alice)]
    assert recent == [("Track", "viewed"), ("Album", "queried"), ("Customer", "queried")]
    popular = [(p["asset"].name, p["score"], p["queries"], p["views"]) for p in popular_assets(3)]
    assert popular == [("Customer", 100.0, 8, 0), ("orders", 87.5, 6, 0), ("Invoice", 75.0, 3, 0)]
    home = client.get("/").content.decode()
    popular_html = home.split("data-home-popular", 1)[1].split("</section>", 1)[0]
    assert popular_html.index(">Customer<") < popular_html.index(">orders<")
    assert "8 queries by 2 users" in popular_html
    recent_html = home.split("data-home-recent", 1)[1].split("</section>", 1)[0]
    assert recent_html.index(">Track<") < recent_html.index(">Album<")
    assert f"queried on {today.isoformat()}" in recent_html
    client.logout()
    anonymous = client.get("/").content.decode()
    assert "data-home-popular" in anonymous and "data-home-recent" not in anonymous


def test_popular_falls_back_to_page_views(client, db):
    orders, customers = make_asset("main.orders"), make_asset("main.customers")
    for _ in range(3):
        client.get(f"/assets/{customers.urn}")
    client.get(f"/assets/{orders.urn}")
    assert [(p["asset"].name, p["views"]) for p in popular_assets()] == [
        ("customers", 3),
        ("orders", 1),
    ]


def test_badges_and_column_popularity(client, harvested):
    header = client.get(f"/assets/{CUSTOMER}").content.decode()
    assert "data-usage-badge>Popular<" in header
    assert "popularity 100/100: 8 queries by 2 users in 30 days" in header
    invoice = client.get(f"/assets/{dataset_urn(CHINOOK_NS, 'Chinook_Sqlite.main.Invoice')}")
    assert "data-usage-badge>Used<" in invoice.content.decode()
    employee = dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Employee")
    assert "data-usage-badge" not in client.get(f"/assets/{employee}").content.decode()
    # the schema table's Usage column: selected + filtered + joined over the window
    schema = header.split('id="schema-table"', 1)[1]
    assert '<th scope="col">Usage</th>' in schema
    assert 'title="selected 8, filtered 0, joined 0 times in 30 days">8</td>' in schema
    assert 'title="selected 0, filtered 5, joined 0 times in 30 days">5</td>' in schema
    assert 'title="selected 0, filtered 0, joined 3 times in 30 days">3</td>' in schema
    # search results carry the same badge, and their links count clicks
    call_command("rebuild_index", stdout=io.StringIO())
    results = client.get("/search?q=customer").content.decode()
    customer_hit = results.split(f'href="/assets/{CUSTOMER}?from=search"', 1)[1]
    assert customer_hit.split("</div>", 1)[0].count('<span class="badge badge--popular"') == 1


def test_output_port_usage_and_consumers(client, harvested, django_user_model):
    from products.models import DataProduct, InputPort, OutputPort

    customer = Asset.objects.get(urn=CUSTOMER)
    sales = DataProduct.objects.create(uid="sales", name="Sales")
    port = OutputPort.objects.create(product=sales, name="customers", asset=customer)
    unbound = OutputPort.objects.create(product=sales, name="later", asset_urn="urn:x")
    crm = DataProduct.objects.create(uid="crm", name="CRM")
    InputPort.objects.create(product=crm, name="customers", asset=customer)
    billing = DataProduct.objects.create(uid="billing", name="Billing")
    InputPort.objects.create(product=billing, name="sales", upstream_product=sales)
    client.get(f"/assets/{CUSTOMER}")  # one page view
    page = client.get("/products/sales/").content.decode()
    assert f'hx-get="/usage/ports/{port.pk}/section"' in page
    section = client.get(f"/usage/ports/{port.pk}/section").content.decode()
    assert "data-port-queries>8<" in section and "data-port-users>2<" in section
    assert "1 page view" in section
    assert section.index("data-port-user>alice<") < section.index("data-port-user>bob<")
    assert [c.name for c in port_usage(port)["consumers"]] == ["Billing", "CRM"]
    assert 'href="/products/billing/" data-port-consumer>Billing<' in section
    later = client.get(f"/usage/ports/{unbound.pk}/section").content.decode()
    assert "not in the catalog yet" in later and "Billing" in later
    assert client.get("/usage/ports/999999/section").status_code == 404
