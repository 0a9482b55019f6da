"""Issue 17, item 4 in Chromium: a run soft-deleted a table; the admin opens the run page,
sees what the run changed, ticks the removed table and restores it.

The catalog is a real server process on the quickstart data (tests/browser_server.py); the
source is a SQLite file harvested twice with ``manage.py harvest`` (a table dropped in
between)."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser_server import ROOT, start_catalog_server
from tests.catalog.test_browser import TIMEOUT_MS, shot

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def manage(server, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.browser_server import server_env

    var = tmp_path_factory.mktemp("restore-var")
    samples = Path(settings.MESH_SAMPLES_DIR)
    running = start_catalog_server(var, samples)
    running.env = server_env(var, samples)
    yield running
    running.stop()


def test_restore_a_removed_table_from_the_run_page(server, browser, tmp_path):
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    for table in ("a", "b", "c", "d", "e"):
        conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    conn.commit()
    config = f'{{"url": "sqlite:///{path}"}}'
    manage(server, "harvest", "shop", "--kind", "sql", "--config", config)
    conn.execute("DROP TABLE e")  # 1 of 5: within the stale-removal fail-safe
    conn.commit()
    conn.close()
    out = manage(server, "harvest", "shop")
    run_id = int(re.search(r"run (\d+): succeeded", out).group(1))
    urn = "urn:mc:dataset:sqlite://shop/shop.main.e"

    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.base_url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(f"/accounts/login/?next=/runs/{run_id}/")
    tab.fill("#id_username", "admin")
    tab.fill("#id_password", "admin")
    tab.click("form button[type=submit]")
    tab.wait_for_url(f"**/runs/{run_id}/")
    row = tab.locator("#changes-table tr[data-kind=asset_removed]")
    assert row.count() == 1 and urn in row.inner_text()
    assert "removed from the catalog" in row.inner_text()
    tab.check(f'input[name="urn"][value="{urn}"]')
    shot(tab, "run-page-restore")
    tab.click("text=Restore selected")
    tab.wait_for_selector("text=Restored 1 asset.")
    restored = tab.locator("#changes-table tr[data-kind=asset_restored]")
    assert "restored by admin" in restored.inner_text()
    assert tab.locator('input[name="urn"]').count() == 0  # nothing left to restore
    asset = context.request.get(f"/api/v1/assets/{urn}").json()
    assert asset["removed"] is False
    assert errors == []
    context.close()
