"""Issue 9, items 9 and 10: the first run as a new user sees it.

The quickstart runs once for the module (``--no-serve``), then its output, the sources
page, asset pages, the product page, the favicon and the admin are checked.
"""

import io
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from harvesters.models import Source
from products.models import SLO

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main.customers"
ORDERS = "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main.orders"


@pytest.fixture(scope="module")
def quickstart(django_db_setup, django_db_blocker, tmp_path_factory):
    """The quickstart's printed output (the catalog stays for the module's tests)."""
    lake = tmp_path_factory.mktemp("samples") / "sample_lake"
    search = tmp_path_factory.mktemp("search") / "search.sqlite3"
    overrides = {
        "MESH_SAMPLE_LAKE_DIR": lake,
        "MESH_SOURCE_PATH_ROOTS": [settings.MESH_SAMPLES_DIR, lake],
        "MESH_SEARCH": {
            "default": {
                "BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend",
                "PATH": str(search),
            }
        },
    }
    with django_db_blocker.unblock(), override_settings(**overrides):
        out = io.StringIO()
        call_command("quickstart", "--no-serve", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def staff(db):
    user = User.objects.create_user("ops", password="pw-ops-12345", is_staff=True)
    client = APIClient()
    client.force_login(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_quickstart_prints_its_table_first_and_only_sources_in_it(quickstart):
    lines = quickstart.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("source "))
    assert not any("events applied" in line for line in lines), quickstart
    table = lines[header + 2 : header + 2 + 5]
    assert [line.split()[0] for line in table] == [
        "chinook",
        "jaffle-warehouse",
        "jaffle-dbt",
        "sample-lake",
        "openlineage",
    ], quickstart
    assert "sample data products" not in quickstart
    assert not any(line.startswith("sample access request") for line in lines), quickstart
    assert any(line.startswith("access requests: succeeded, 1 open") for line in lines)
    assert any(line.startswith("data products: succeeded") for line in lines)


def test_quickstart_shows_its_warnings(quickstart):
    assert "documented column 'total_order_amount' is not in the relation" in quickstart
    assert "/runs/" in quickstart  # where to read all of them


def test_make_quickstart_takes_a_port():
    proc = subprocess.run(
        ["make", "-n", "quickstart", "PORT=8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "manage.py quickstart --port 8123" in proc.stdout, proc.stdout + proc.stderr


def test_push_only_source_is_not_harvestable_and_shows_its_events(quickstart, staff):
    page = staff.get("/sources/").content.decode()
    section = page.split('id="source-openlineage"', 1)[1].split("</section>", 1)[0]
    assert "Harvest now" not in section and "Never harvested" not in section
    assert "26 events received" in section
    source = Source.objects.get(name="openlineage")
    resp = staff.post(f"/api/v1/sources/{source.pk}/harvest")
    assert resp.status_code == 409 and "push-only" in resp.json()["detail"]


def test_dbt_test_results_on_the_asset_page_and_api(quickstart, staff):
    detail = staff.get(f"/api/v1/assets/{ORDERS}").json()
    assert len(detail["quality"]) == 10
    assert {q["status"] for q in detail["quality"]} <= {"pass", "fail", "warn", "error", "skipped"}
    html = staff.get(f"/assets/{ORDERS}").content.decode()
    assert "Data quality" in html and detail["quality"][0]["name"] in html


def test_asset_header_says_direct_lineage(quickstart, staff):
    html = staff.get(f"/assets/{CUSTOMERS}").content.decode()
    assert "direct upstream" in html and "direct downstream" in html


def test_freshness_slo_shows_the_measured_age_and_check_names_the_slo(quickstart, staff):
    slo = SLO.objects.filter(kind="freshness", port__product__uid="jaffle-customer-360").first()
    html = staff.get(f"/products/{slo.port.product.uid}/").content.decode()
    assert "last: age " in html and "(limit 1 d)" in html
    resp = staff.post(f"/products/{slo.port.product.uid}/slos/{slo.pk}/check/", follow=True)
    text = resp.content.decode()
    assert f"{slo.name} (freshness): measured age " in text.replace("&#x27;", "'")
    assert "Measured 0 (good)" not in text


def test_favicon_and_branded_admin(db, staff):
    resp = staff.get("/favicon.ico")
    assert resp.status_code == 301 and resp["Location"].endswith("catalog/logo.svg")
    admin = staff.get("/admin/").content.decode()
    assert "Mesh Catalog administration" in admin and "catalog/logo.svg" in admin


def test_dump_and_load_moves_every_row(quickstart, tmp_path):
    """README "Moving an embedded installation to the scale stack": ``dumpdata`` of the
    quickstart catalog, an empty database, ``loaddata``: every table has its rows back.
    Save receivers skip fixture rows (``raw``): on PostgreSQL the append-only audit
    trigger refused the load when a receiver had written an audit row first."""
    from django.apps import apps

    models = [m for m in apps.get_models() if not m._meta.proxy and m._meta.managed]
    before = {m._meta.label: m.objects.count() for m in models}
    assert before["catalog.Asset"] > 50 and before["audit.AuditEntry"] > 0
    dump = io.StringIO()
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--exclude=contenttypes",
        "--exclude=auth.permission",
        stdout=dump,
    )
    call_command("flush", interactive=False, verbosity=0)
    fixture = tmp_path / "catalog.json"
    fixture.write_text(dump.getvalue())
    call_command("loaddata", str(fixture), verbosity=0)
    after = {m._meta.label: m.objects.count() for m in models}
    assert after == before
