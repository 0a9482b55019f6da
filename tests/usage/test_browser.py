"""The Usage tab in Chromium (Playwright, the shared ``browser`` fixture): a catalog
server on the quickstart data, the generated Chinook query log harvested by a ``usage``
source through ``manage.py harvest``; a signed-in user searches, clicks the result, opens
the Usage tab (daily chart, top users, joined with, top queries, columns, page views and
search clicks), follows "Frequently joined with", and finds both assets under "Recently
used by you" and Customer first under "Popular" on the home page."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.urns import dataset_urn
from tests.browser_server import DEMO_USER, ROOT, server_env, start_catalog_server
from tests.catalog.test_browser import TIMEOUT_MS, shot
from tests.usage.conftest import CHINOOK_NS
from tests.usage.querylog import chinook_log

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CUSTOMER = dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Customer")
INVOICE = dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Invoice")


@pytest.fixture(scope="module")
def usage_server(tmp_path_factory):
    """The quickstart catalog with the Chinook query log harvested by ``chinook-usage``."""
    var = tmp_path_factory.mktemp("usage-var")
    samples = Path(settings.MESH_SAMPLES_DIR)
    server = start_catalog_server(var, samples)
    log = var / "chinook.jsonl"
    log.write_bytes(chinook_log(timezone.now().date()))
    config = {"path": str(log), "namespace": CHINOOK_NS, "platform": "sqlite"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "harvest", "chinook-usage", "--kind", "usage",
         "--config", json.dumps(config)],
        cwd=ROOT, env=server_env(var, samples), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    yield server
    server.stop()


def test_usage_tab_in_a_browser(browser, usage_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=usage_server.base_url
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/accounts/login/?next=/")
    page.fill("#id_username", DEMO_USER[0])
    page.fill("#id_password", DEMO_USER[1])
    page.click("form button[type=submit]")
    page.wait_for_url("**/")
    page.fill("#home-search", "Customer")
    page.press("#home-search", "Enter")
    page.wait_for_url("**/search?q=Customer*")
    hit = page.locator(f'a.hit__name[href="/assets/{CUSTOMER}?from=search"]')
    badge = page.locator(".hit", has=hit).locator(".badge--popular")
    assert badge.inner_text().strip().lower() == "popular"
    hit.click()
    page.wait_for_url("**from=search")
    assert page.locator("[data-usage-badge]").inner_text().strip().lower() == "popular"
    page.click('a.tab[href="?tab=usage"]')
    page.wait_for_url("**?tab=usage")
    panel = page.locator("#tab-usage")
    assert panel.locator("[data-usage-queries]").inner_text() == "8"
    assert panel.locator("[data-usage-users]").inner_text() == "2"
    assert panel.locator("[data-usage-popularity]").inner_text() == "100"
    assert panel.locator("[data-usage-page-views]").inner_text() == "1"
    assert panel.locator("[data-usage-clicks]").inner_text() == "1"
    assert panel.locator("[data-usage-daily] tbody tr").count() == 2  # yesterday, today
    users = panel.locator("[data-usage-top-users] li").all_inner_texts()
    assert [u.split()[0] for u in users] == ["alice", "bob"]
    queries = panel.locator("[data-usage-top-queries] li code").all_inner_texts()
    assert queries[0] == "SELECT FirstName, LastName FROM Customer WHERE Country = ?"
    columns = panel.locator("[data-usage-columns] tbody tr td:first-child").all_inner_texts()
    assert columns == ["FirstName", "Country", "LastName", "CustomerId"]
    shot(page, "usage-tab")
    panel.locator("[data-usage-co-used] a", has_text="Invoice").click()
    page.wait_for_url(f"**/assets/{INVOICE}")
    assert page.locator("h1").first.inner_text() == "Invoice"
    page.goto("/")
    recent = page.locator("[data-home-recent] .assetlist__name").all_inner_texts()
    assert recent == ["Invoice", "Customer"]
    popular = page.locator("[data-home-popular] .assetlist__name").all_inner_texts()
    assert popular[:3] == ["Customer", "Invoice", "Track"]
    shot(page, "usage-home")
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
