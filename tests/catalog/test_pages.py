"""Web catalog pages through the Django test client, on the harvested sample sources.

The module harvests Chinook (SQLite), the jaffle_shop DuckDB warehouse and its dbt
artifacts once (committed, flushed at the end) into a search index of its own, then
checks every page: home, search, asset (schema, lineage, impact, runs), sources,
Harvest now, run detail, sign-in, 404 and 500.
"""

import sqlite3
import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone

from catalog.models import Asset, HarvestRun, Owner, Ownership, Source
from catalog.outbox import process_outbox
from harvesters.runner import run_harvest
from harvesters.samples import harvest_sample_sources

JAFFLE = "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main."
CUSTOMERS = JAFFLE + "customers"
RAW_PAYMENTS = JAFFLE + "raw_payments"
DBT_JOB = "urn:mc:job:dbt://jaffle_shop/model.jaffle_shop.customers"


@pytest.fixture(scope="module")
def search_settings(tmp_path_factory) -> dict:
    """``MESH_SEARCH`` of this module: one embedded index file shared by its tests."""
    path = tmp_path_factory.mktemp("search") / "search.sqlite3"
    return {"default": {"BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend", "PATH": str(path)}}


@pytest.fixture(autouse=True)
def _search_index_per_test(settings, search_settings):
    """Overrides the per-test index of conftest: these tests read the module's index."""
    settings.MESH_SEARCH = search_settings


@pytest.fixture(scope="module")
def catalog(django_db_setup, django_db_blocker, search_settings):
    """Harvest the three sample sources once for the module, with a private search index;
    ``finance@example.com`` owns ``customers`` so impact can be grouped by owner."""
    with django_db_blocker.unblock(), override_settings(MESH_SEARCH=search_settings):
        rows = harvest_sample_sources(settings.MESH_SAMPLES_DIR, None)
        assert [r["errors"] for r in rows] == [0, 0, 0], rows
        process_outbox()
        owner = Owner.objects.create(name="finance@example.com", email="finance@example.com")
        Ownership.objects.create(owner=owner, asset=Asset.objects.get(urn=CUSTOMERS))
        yield {r["source"]: r for r in rows}
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("ann", "ann@example.com", "pw-ann-123")


def test_home_shows_search_recent_assets_and_counts(catalog, db, client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="home-search"' in html and 'id="global-search"' in html
    by_platform = {row["platform"]: row["n"] for row in resp.context["by_platform"]}
    assert by_platform["sqlite"] == 11  # the 11 Chinook tables
    assert by_platform["duckdb"] == 8  # 3 seeds, 3 staging views, 2 marts
    by_type = {row["type"]: row["n"] for row in resp.context["by_type"]}
    assert by_type["view"] == 3
    assert resp.context["total"] == Asset.objects.filter(removed=False).count()
    assert len(resp.context["recent"]) == 12
    assert html.count('class="assetlist__name" href="/assets/urn:mc:') == 12


def test_search_customers_ranks_jaffle_customers_first_with_facets(catalog, db, client):
    resp = client.get("/search", {"q": "customers"})
    assert resp.status_code == 200
    results = resp.context["results"]
    assert results[0]["name"] == "customers"
    assert results[0]["platform"] in {"duckdb", "dbt"}
    facets = {
        f["name"]: {o["value"]: o["count"] for o in f["options"]} for f in resp.context["facets"]
    }
    assert facets["platform"]["duckdb"] >= 3
    assert sum(facets["type"].values()) == resp.context["count"]
    html = resp.content.decode()
    assert f"{resp.context['count']} results for" in html
    assert 'type="checkbox"' in html and 'name="platform" value="duckdb"' in html


def test_search_filters_stay_in_the_url_and_restrict_results(catalog, db, client):
    resp = client.get("/search", {"q": "customers", "type": "view"})
    assert resp.status_code == 200
    assert {r["type"] for r in resp.context["results"]} == {"view"}
    assert resp.context["results"][0]["name"] == "stg_customers"
    assert resp.context["count"] == len(resp.context["results"]) < 5
    html = resp.content.decode()
    assert 'name="type" value="view" checked' in html
    assert resp.context["active_filters"][0]["remove_url"] == "?q=customers"


def test_search_typo_finds_chinook_and_jaffle_customers(catalog, db, client):
    resp = client.get("/search", {"q": "custmer"})
    top3 = [(r["name"], r["platform"]) for r in resp.context["results"][:3]]
    assert ("Customer", "sqlite") in top3
    assert "customers" in [name for name, _ in top3]


def test_search_highlights_are_sanitised_marks(catalog, db, client):
    resp = client.get("/search", {"q": "order_date"})
    snippets = [str(h["snippet"]) for r in resp.context["results"] for h in r["highlights"]]
    assert any("<mark>" in s for s in snippets)
    assert all("<script" not in s for s in snippets)


def test_search_highlights_say_which_field_matched_in_plain_words(catalog, db, client):
    resp = client.get("/search", {"q": "customer"})
    hits = {(r["name"], r["platform"]): r for r in resp.context["results"]}
    invoice = hits[("Invoice", "sqlite")]
    labels = [h["field"] for h in invoice["highlights"]]
    assert labels[0] == "Columns", labels
    assert "other" not in labels and "fields" not in labels
    # the camelCase column is marked once, not followed by its indexed parts
    columns = str(invoice["highlights"][0]["snippet"])
    assert "<mark>CustomerId</mark>" in columns and "Customer Id" not in columns, columns
    # a description match is shown in the description line, not again as a highlight
    jaffle = hits[("customers", "duckdb")]
    assert "<mark>customer</mark>" in str(jaffle["description_snippet"])
    assert "Description" not in [h["field"] for h in jaffle["highlights"]]


def test_search_paging_keeps_filters(catalog, db, client):
    total = Asset.objects.filter(removed=False).count()
    assert total > 20
    first = client.get("/search")
    assert first.context["count"] == total and len(first.context["results"]) == 20
    assert first.context["next_url"] == "?page=2"
    second = client.get("/search", {"page": 2})
    assert len(second.context["results"]) == total - 20
    assert second.context["prev_url"] == "?page=1"
    urns = {r["urn"] for r in first.context["results"]} | {
        r["urn"] for r in second.context["results"]
    }
    assert len(urns) == total
    filtered = client.get("/search", {"q": "", "platform": ["sqlite", "duckdb"]})
    assert filtered.context["count"] == 19
    assert filtered.context["pages"] == 1


def test_search_empty_state_gives_advice(catalog, db, client):
    resp = client.get("/search", {"q": "qwxzzyv", "platform": "sqlite"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert resp.context["count"] == 0
    assert "No assets match" in html and "Remove the filters" in html


def test_search_bad_input_is_a_message_not_a_crash(catalog, db, client):
    resp = client.get("/search", {"q": "customers", "page": "abc"})
    assert resp.status_code == 200 and resp.context["page"] == 1
    assert resp.context["results"][0]["name"] == "customers"


def test_asset_page_header_schema_and_description(catalog, db, client):
    resp = client.get(f"/assets/{CUSTOMERS}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "<h1>customers</h1>" in html
    assert "jaffle_shop.main.customers" in html
    assert "finance@example.com" in html
    assert "jaffle-warehouse" in html and "jaffle-dbt" in html
    assert "Last harvested" in html
    names = [f.name for f in resp.context["fields"]]
    assert names[:3] == ["customer_id", "first_name", "last_name"]
    assert len(names) == 7
    assert 'id="column-filter"' in html and 'data-filter-table="schema-table"' in html
    # the usage app (issue 14) adds its Usage tab after the lineage tabs
    # lineage adds History (edges, schema versions); usage adds Usage; governance (issue
    # 15) adds Classification and Edit history
    assert resp.context["tabs"] == [
        "schema",
        "lineage",
        "impact",
        "history",
        "usage",
        "classification",
        "edits",
    ]
    assert "basic information about a customer" in html


def test_description_markdown_is_rendered_and_sanitised(catalog, db, client):
    asset = Asset.objects.get(urn=CUSTOMERS)
    asset.description = (
        "**Gold** table, see [docs](https://example.com/x).\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(2)>\n\n"
        "[bad](javascript:alert(3))"
    )
    asset.save()
    html = client.get(f"/assets/{CUSTOMERS}").content.decode()
    assert "<strong>Gold</strong>" in html
    assert '<a href="https://example.com/x" rel="noopener noreferrer">docs</a>' in html
    assert "<script>alert" not in html and "onerror" not in html
    assert "javascript:" not in html


def test_chinook_foreign_keys_are_shown(catalog, db, client):
    invoice = Asset.objects.get(platform="sqlite", name="Invoice")
    html = client.get(f"/assets/{invoice.urn}").content.decode()
    assert "PK" in html
    assert "FK → Customer.CustomerId" in html


def test_lineage_tab_loads_vendored_graph_libraries(catalog, db, client):
    resp = client.get(f"/assets/{CUSTOMERS}", {"tab": "lineage"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert f'data-urn="{CUSTOMERS}"' in html
    assert 'data-lineage-url="/api/v1/lineage"' in html
    assert 'data-column-lineage-url="/api/v1/column-lineage"' in html
    for lib in (
        "cytoscape/cytoscape.min.js",
        "dagre/dagre.min.js",
        "cytoscape-dagre/cytoscape-dagre.js",
        "catalog/lineage.js",
    ):
        assert f'src="/static/vendor/{lib}"' in html or f'src="/static/{lib}"' in html
    assert "cdn" not in html.lower() and 'src="http' not in html
    api = client.get("/api/v1/lineage", {"urn": CUSTOMERS, "direction": "upstream", "depth": "1"})
    names = sorted(n["name"] for n in api.json()["nodes"] if n["depth"] == 1)
    assert names == ["stg_customers", "stg_orders", "stg_payments"]


def test_impact_tab_groups_downstream_by_owner_with_csv(catalog, db, client):
    resp = client.get(f"/assets/{RAW_PAYMENTS}", {"tab": "impact"})
    assert resp.status_code == 200
    groups = resp.context["impact_groups"]
    assert [g["owner"] for g in groups] == ["finance@example.com", ""]
    assert [r["name"] for r in groups[0]["assets"]] == ["customers"]
    assert [(r["name"], r["depth"]) for r in groups[1]["assets"]] == [
        ("stg_payments", 1),
        ("orders", 2),
    ]
    assert groups[0]["assets"][0]["path_names"] == ["raw_payments", "stg_payments", "customers"]
    html = resp.content.decode()
    assert resp.context["impact_count"] == 3
    csv_url = resp.context["impact_csv_url"]
    assert f'href="{csv_url.replace("&", "&amp;")}"' in html
    csv = client.get(csv_url)
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert len(lines) == 4 and lines[0].startswith("urn,name,type")


def test_job_page_shows_inputs_outputs_and_runs(catalog, db, client):
    from django.apps import apps

    job = Asset.objects.get(urn=DBT_JOB)
    html = client.get(f"/assets/{DBT_JOB}").content.decode()
    assert "Inputs" in html and "Outputs" in html
    assert [a.name for a in client.get(f"/assets/{DBT_JOB}").context["job_inputs"]] == [
        "stg_customers",
        "stg_orders",
        "stg_payments",
    ]
    # before any OpenLineage run: the dbt build from run_results.json, and the model's SQL
    runs_tab = client.get(f"/assets/{DBT_JOB}", {"tab": "runs"}).content.decode()
    assert "Last dbt build" in runs_tab and "status--success" in runs_tab
    assert "No runs of this job" not in runs_tab
    assert "customer_lifetime_value" in html  # the compiled SQL of the job
    try:
        job_run = apps.get_model("lineage", "JobRun")
    except LookupError:
        assert "?tab=runs" not in html
        return
    now = timezone.now()
    job_run.objects.create(
        run_id=uuid.uuid4(),
        job=job,
        state="FAIL",
        started_at=now - timedelta(seconds=90),
        ended_at=now,
        first_event_time=now,
        last_event_time=now,
        error_message="boom: disk full",
    )
    resp = client.get(f"/assets/{DBT_JOB}", {"tab": "runs"})
    assert resp.context["tabs"] == ["schema", "runs", "history"]
    html = resp.content.decode()
    assert "boom: disk full" in html and "status--fail" in html and "90.0 s" in html


def test_unknown_asset_is_a_friendly_404(catalog, db, client):
    resp = client.get("/assets/urn:mc:dataset:nowhere://x/y")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "couldn’t find that page" in html and 'id="nf-search"' in html
    assert "Traceback" not in html
    api = client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404 and api.json()["detail"] == "Not found."


def test_server_error_page_is_friendly():
    from catalog.views import server_error
    from config import urls

    assert urls.handler500 == "catalog.views.server_error"
    resp = server_error(RequestFactory().get("/search"))
    assert resp.status_code == 500
    assert "Something went wrong" in resp.content.decode()
    api = server_error(RequestFactory().get("/api/v1/assets"))
    assert api.status_code == 500 and b'"detail"' in api.content


def test_sources_page_lists_sources_and_last_runs(catalog, db, client):
    resp = client.get("/sources/")
    assert resp.status_code == 200
    html = resp.content.decode()
    rows = {r["source"].name: r for r in resp.context["rows"]}
    assert set(rows) >= {"chinook", "jaffle-warehouse", "jaffle-dbt"}
    chinook = rows["chinook"]["runs"][0]
    assert chinook["run"].status == "succeeded"
    assert ("datasets", 11) in chinook["counts"]
    assert chinook["seconds"] > 0
    assert "Sign in to harvest" in html and "Harvest now" not in html


def test_harvest_now_needs_sign_in(catalog, db, client):
    source = Source.objects.get(name="chinook")
    resp = client.post(f"/sources/{source.pk}/harvest")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")
    resp = client.post(f"/sources/{source.pk}/harvest", headers={"HX-Request": "true"})
    assert resp.status_code == 403
    assert HarvestRun.objects.filter(source=source).count() == 1


def test_harvest_now_needs_csrf(catalog, db, user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    user.is_staff = True  # only staff or the owning team may harvest a source
    user.save()
    strict.force_login(user)
    source = Source.objects.get(name="chinook")
    assert strict.post(f"/sources/{source.pk}/harvest").status_code == 403
    page = strict.get("/sources/").content.decode()
    assert "Harvest now" in page and "csrfmiddlewaretoken" in page


def test_run_detail_lists_errors(catalog, db, client):
    source = Source.objects.create(
        name="broken", kind="sql", config={"url": "sqlite:///x", "tabels": 1}
    )
    run = run_harvest(source)
    assert run.status == "failed"
    html = client.get(f"/runs/{run.pk}/").content.decode()
    assert f"Run #{run.pk} of broken" in html
    assert "tabels" in html
    fragment = client.get(f"/runs/{run.pk}/progress").content.decode()
    assert "hx-trigger" not in fragment and "1</strong> error" in fragment
    htmx = client.get(f"/runs/{run.pk}/progress", headers={"HX-Request": "true"}).content.decode()
    assert f'id="runs-{source.pk}" hx-swap-oob="true"' in htmx and f"#{run.pk}</a>" in htmx


def test_sign_in_and_out(catalog, db, client, user):
    user.is_staff = True  # only staff or the owning team may harvest a source
    user.save()
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'for="id_username"' in page.content.decode()
    resp = client.post(
        "/accounts/login/", {"username": "ann", "password": "pw-ann-123", "next": "/sources/"}
    )
    assert resp.status_code == 302 and resp["Location"] == "/sources/"
    assert "Harvest now" in client.get("/sources/").content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert "Sign in" in client.get("/").content.decode()


def test_static_libraries_are_served_with_licences(db, client):
    from pathlib import Path

    vendor = Path(settings.BASE_DIR) / "static" / "vendor"
    for lib in ("cytoscape", "dagre", "cytoscape-dagre", "htmx"):
        assert (vendor / lib / "LICENSE").is_file(), lib
    resp = client.get("/static/vendor/htmx/htmx.min.js")
    assert resp.status_code == 200
    assert b"htmx" in b"".join(resp.streaming_content)


def _sqlite_source(path) -> str:
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE shops (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, shop_id INTEGER REFERENCES shops(id));"
    )
    con.close()
    return f"sqlite:///{path}"


@pytest.mark.django_db(transaction=True)
def test_harvest_now_runs_in_background_and_reports_counts(client, tmp_path, settings):
    settings.MESH_SOURCE_PATH_ROOTS = [tmp_path]  # sources may only read under these
    user = get_user_model().objects.create_user("bob", "bob@example.com", "pw-bob-123")
    user.is_staff = True  # only staff or the owning team may harvest a source
    user.save()
    client.force_login(user)
    source = Source.objects.create(
        name="shop", kind="sql", config={"url": _sqlite_source(tmp_path / "shop.sqlite")}
    )
    resp = client.post(f"/sources/{source.pk}/harvest", headers={"HX-Request": "true"})
    assert resp.status_code == 202
    run = HarvestRun.objects.get(source=source)
    fragment = resp.content.decode()
    assert f'hx-get="/runs/{run.pk}/progress"' in fragment and 'hx-trigger="every 1s"' in fragment
    for thread in threading.enumerate():
        if thread.name == f"harvest-{run.pk}":
            thread.join(timeout=60)
    run.refresh_from_db()
    assert run.status == "succeeded", run.errors
    done = client.get(f"/runs/{run.pk}/progress").content.decode()
    assert "hx-trigger" not in done
    assert "<strong>2</strong> datasets" in done and "<strong>4</strong> fields" in done
