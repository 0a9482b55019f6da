"""Issue 17 gap in Chromium: a big harvest died after committing batches; the admin opens
the run page, sees where it stopped and a Resume button, clicks it, and the run goes on
from its last checkpoint to success (a second Resume is not offered).

The catalog is a real server process on the quickstart data (tests/browser_server.py,
embedded worker thread); the crash is a real exception in a real ``manage.py shell``
harvest of a 60-table SQLite file, committed in batches of 10."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser_server import ROOT, server_env, start_catalog_server
from tests.catalog.test_browser import TIMEOUT_MS, shot

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CRASH = """
from django.conf import settings
from catalog.models import Source
from harvesters.kinds.sql import harvester as h
from harvesters.runner import run_harvest
settings.MESH_HARVEST_COMMIT_EVERY = 10
h.DESCRIBE_CHUNK = 10
real = h.SQLHarvester._dataset
def dataset(self, rel, *args):
    if rel.name == "t35":
        raise RuntimeError("the worker died here")
    return real(self, rel, *args)
h.SQLHarvester._dataset = dataset
source = Source.objects.create(name="bigshop", kind="sql", config={"url": "sqlite:///%s"})
run = run_harvest(source)
print("run", run.id, run.status, run.progress.get("checkpoint"))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("resume-var")
    data = tmp_path_factory.mktemp("resume-data")
    samples = Path(settings.MESH_SAMPLES_DIR)
    extra = {"MESH_SOURCE_PATH_ROOTS": f"{data},{samples}"}
    running = start_catalog_server(var, samples, extra_env=extra)
    running.env = {**server_env(var, samples), **extra}
    running.data = data
    yield running
    running.stop()


def test_resume_a_crashed_run_from_its_page(server, browser):
    path = server.data / "bigshop.db"
    conn = sqlite3.connect(path)
    for n in range(60):
        conn.execute(f"CREATE TABLE t{n:02} (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    conn.close()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", CRASH % path],
        cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    found = re.search(r"run (\d+) failed \['main', 't29'\]", done.stdout)
    assert found, done.stdout + done.stderr
    run_id = int(found.group(1))

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
    assert "Stopped after 30 of 60 assets (50%)" in tab.locator("[data-resumable]").inner_text()
    shot(tab, "run-page-resume")
    tab.click(f"button[data-resume-run='{run_id}']")
    tab.wait_for_selector(f"text=Run {run_id} resumes after its last checkpoint.")
    # the progress fragment polls itself until the run ends
    tab.wait_for_selector(f".runprogress[data-run='{run_id}'][data-status='succeeded']")
    tab.reload()
    assert tab.locator("[data-counts]").inner_text().count("60") >= 1  # 60 datasets
    assert tab.locator("button[data-resume-run]").count() == 0
    assert not errors, errors
