"""Issue 17 in Chromium: create a source in the UI with a failing then a passing
connection test and a schedule, and see the scheduled run appear.

The catalog runs as a subprocess on the quickstart data (``tests/browser_server.py``)
with its tasks on the local Redis (a queue of its own); a real ``celery beat`` and
``celery worker`` are started by the test on the same database and stopped after.
"""

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.browser_server import DEMO_USER, ROOT, server_env, start_catalog_server
from tests.harvesters.test_celery_redis import REDIS_URL

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000
SAMPLES = Path(settings.MESH_SAMPLES_DIR)
CHINOOK = SAMPLES / "chinook" / "Chinook_Sqlite.sqlite"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The catalog server, and the environment its worker and beat need."""
    queue = f"mesh-test-{uuid.uuid4().hex[:8]}"
    extra = {
        "CELERY_BROKER_URL": REDIS_URL,
        "MESH_TASK_QUEUE": queue,
        "MESH_SCHEDULE_MIN_SECONDS": "1",
        "MESH_PROBE_TIMEOUT_SECONDS": "5",
    }
    redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()  # Redis down fails the test
    var_dir = tmp_path_factory.mktemp("sources-var")
    server = start_catalog_server(var_dir, SAMPLES, extra_env=extra)
    env = {**server_env(var_dir, SAMPLES), **extra}
    yield server, env
    server.stop()
    redis.Redis.from_url(REDIS_URL, socket_timeout=5).delete(queue)


def celery(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args, "-l", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_create_a_source_test_its_connection_and_see_a_scheduled_run(browser, stack):
    server, env = stack
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.base_url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/accounts/login/?next=/sources/")
    page.fill("#id_username", DEMO_USER[0])
    page.fill("#id_password", DEMO_USER[1])
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/sources/$"))
    page.click("#new-source")
    page.click('[data-kind="sql"]')
    page.wait_for_selector('input[name="cfg-url"]')
    assert "SQLAlchemy URL" in page.inner_text('[data-field="cfg-url"]')  # help from the model
    page.fill("#id_name", "chinook-scheduled")
    page.fill("#id_cfg-url", f"sqlite:///{SAMPLES}/chinook/missing.sqlite")
    page.click("#test-connection")
    failed = page.wait_for_selector('[data-probe="failed"]')
    assert "not found" in failed.inner_text()
    page.fill("#id_cfg-url", f"sqlite:///{CHINOOK}")
    page.click("#test-connection")
    passed = page.wait_for_selector('[data-probe="ok"]')
    assert "Connection OK" in passed.inner_text()
    page.select_option("#id_schedule_type", "interval")
    page.fill("#id_every", "3")
    page.select_option("#id_period", "seconds")
    page.click("#save-source")
    page.wait_for_url(re.compile(r"/sources/#source-chinook-scheduled$"))
    section = page.locator("#source-chinook-scheduled")
    assert "every 3 seconds" in section.inner_text() and "next run" in section.inner_text()
    beat = celery(env, "beat", "--max-interval", "1")
    worker = celery(
        env, "worker", "--pool", "solo", "-Q", env["MESH_TASK_QUEUE"],
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    )  # fmt: skip
    try:
        for _ in range(45):  # a scheduled run appears, then succeeds (reload every 2 s)
            page.reload()
            if "succeeded" in section.inner_text().lower():
                break
            page.wait_for_timeout(2000)
        text = section.inner_text().lower()  # statuses are shown in capitals
        assert "succeeded" in text and "11 datasets" in text, text
    finally:
        stop(beat)
        stop(worker)
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
