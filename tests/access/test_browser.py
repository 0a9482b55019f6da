"""The whole access flow in Chromium (Playwright, Debian's /usr/bin/chromium), with real
grants in the local PostgreSQL (Chinook):

consumer requests with a purpose → the approver sees the header badge and approves with
an end date → the grant shows on the product page and the consumer's role can query the
table → the approver revokes → the query is refused → the audit page lists every step
and ``verify_audit`` passes.
"""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.access.test_provisioners import can_select
from tests.browser_server import ROOT, server_env, start_catalog_server
from tests.catalog.test_browser import TIMEOUT_MS, shot
from tests.pg_chinook import SERVER, ensure_chinook

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLE = "mesh_browser_analyst"
PRODUCT = "chinook-invoicing"
SETUP = f"""
from django.contrib.auth import get_user_model
from access.models import PortAccessPolicy
from products.models import OutputPort
get_user_model().objects.create_user("analyst", password="analyst")
port = OutputPort.objects.get(product__uid="{PRODUCT}", name="invoices")
PortAccessPolicy.objects.create(port=port, provisioner="postgres",
                                grant_objects=["chinook.public.invoice"])
print(port.pk)
"""


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory):
    """A catalog whose ``postgres`` provisioner points at the local server; the
    ``invoices`` port of Chinook Invoicing grants on ``chinook.public.invoice``."""
    ensure_chinook(Path(settings.MESH_SAMPLES_DIR) / "chinook" / "Chinook_PostgreSql.sql")
    with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone():
            conn.execute(f'CREATE ROLE "{ROLE}"')
        conn.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{ROLE}"')
    extra = {"MESH_ACCESS_PG_URL": SERVER}
    var = tmp_path_factory.mktemp("access-var")
    server = start_catalog_server(var, Path(settings.MESH_SAMPLES_DIR), extra_env=extra)
    env = {**server_env(var, Path(settings.MESH_SAMPLES_DIR)), **extra}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    server.env = env
    server.port_id = int(done.stdout.strip().splitlines()[-1])
    yield server
    server.stop()


def _tab(browser, server, user: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.base_url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto("/accounts/login/?next=/access/mine/")
    tab.fill("#id_username", user)
    tab.fill("#id_password", user)
    tab.click("form button[type=submit]")
    tab.wait_for_url(re.compile(r"/access/mine/$"))
    return context, tab, errors


def test_request_approve_query_revoke_audit(browser, flow_server):
    end = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    shorter = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    assert not can_select(ROLE)

    # the consumer requests access from the product page
    ctx, tab, errors = _tab(browser, flow_server, "analyst")
    tab.goto(f"/products/{PRODUCT}/")
    tab.click(f'a[href="/access/ports/{flow_server.port_id}/request"]')
    tab.fill("#id_purpose", "Quarterly revenue by country for the finance review")
    tab.fill("#id_end_date", end)
    tab.fill("#id_principal", ROLE)
    tab.click("#request-form button[type=submit]")
    tab.wait_for_url(re.compile(r"/access/requests/\d+/$"))
    request_id = int(re.search(r"/requests/(\d+)/", tab.url).group(1))
    assert tab.text_content("#request-state").strip() == "Requested"
    shot(tab, "access-1-requested")
    ctx.close()
    assert errors == []

    # the approver sees the badge and approves with a shorter end date
    ctx, tab, errors = _tab(browser, flow_server, "admin")
    badge = tab.locator("#access-inbox-count")
    badge.wait_for()
    assert int(badge.inner_text()) >= 1
    tab.click("#access-inbox-link")
    item = tab.locator(f"#request-{request_id}")
    assert "Quarterly revenue" in item.inner_text()
    item.locator('input[name="end_date"]').fill(shorter)
    item.locator("button", has_text="Approve").click()
    tab.wait_for_url(re.compile(r"/access/inbox/$"))
    shot(tab, "access-2-approved")

    # the grant is on the product page and the role can query the table
    tab.goto(f"/products/{PRODUCT}/")
    grants = tab.locator(f"#port-access-{flow_server.port_id} table")
    grants.wait_for()
    assert "analyst" in grants.inner_text() and shorter in grants.inner_text()
    shot(tab, "access-3-product-page")
    assert can_select(ROLE)

    # the approver revokes; the query is refused
    tab.goto(f"/access/requests/{request_id}/")
    assert tab.text_content("#request-state").strip() == "Active"
    tab.click("#revoke-button")
    tab.wait_for_url(re.compile(rf"/access/requests/{request_id}/$"))
    assert tab.text_content("#request-state").strip() == "Revoked"
    assert not can_select(ROLE)

    # the audit page lists every step; the chain verifies
    tab.goto(f"/audit/?subject_type=access.accessrequest&subject_id={request_id}")
    text = tab.inner_text("table.audit")
    for action in (
        "access.requested",
        "access.approved",
        "access.provisioned",
        "access.revoked",
        "access.deprovisioned",
    ):
        assert action in text, action
    assert "GRANT SELECT" in text
    shot(tab, "access-4-audit")
    ctx.close()
    assert errors == []
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "verify_audit"],
        cwd=ROOT,
        env=flow_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "audit trail intact" in done.stdout
