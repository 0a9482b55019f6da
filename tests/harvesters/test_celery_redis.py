"""Harvests on real Celery workers over the local Redis: the scale-out task mode.

The embedded mode (no broker) runs tasks in-process and is what the rest of the suite
uses. Here a catalog in its own var folder (SQLite file) queues harvests with
``CELERY_BROKER_URL`` pointing at Redis, on a queue of its own (``MESH_TASK_QUEUE``), and
a ``celery -A config worker`` subprocess runs them. Redis is a service CI must exercise:
if it is unreachable this test fails, it is never skipped.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHINOOK = SAMPLES / "chinook" / "Chinook_Sqlite.sqlite"


@pytest.fixture
def catalog(tmp_path):
    """Environment and helpers of a migrated catalog whose tasks go to Redis."""
    queue = f"mesh-test-{uuid.uuid4().hex[:8]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "MESH_SEARCH_BACKEND", "MESH_GRAPH_BACKEND"}
    }
    env.update(
        MESH_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL=REDIS_URL,
        MESH_TASK_QUEUE=queue,
        PYTHONUNBUFFERED="1",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "celery-test-" + uuid.uuid4().hex * 2,
    )
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    client.ping()  # fails the test, with the reason, when Redis is down
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip

    def shell(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    yield env, shell, tmp_path / "catalog.sqlite3"
    client.delete(queue)  # no task of this test is left behind for anyone else


def run_row(db_path: Path, run_id: int) -> tuple[str, dict, list]:
    """(status, counts, errors) of a harvest run, read straight from the SQLite file."""
    with sqlite3.connect(db_path) as conn:
        status, counts, errors = conn.execute(
            "SELECT status, counts, errors FROM harvesters_harvestrun WHERE id = ?", (run_id,)
        ).fetchone()
    return status, json.loads(counts), json.loads(errors)


def wait_for(predicate, timeout: float, what: str):
    """Poll ``predicate()`` every 0.2 s until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


ENQUEUE = """
from catalog.models import Source
from harvesters.tasks import enqueue_harvest
source = Source.objects.create(name={name!r}, kind="sql", config={config!r})
print(enqueue_harvest(source).id)
"""


def test_worker_harvests_queued_sources_and_feeds_search(catalog):
    env, shell, db_path = catalog
    good = int(shell(ENQUEUE.format(name="chinook", config={"url": f"sqlite:///{CHINOOK}"})))
    bad = int(
        shell(
            ENQUEUE.format(
                name="gone", config={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
            )
        )
    )
    # nothing runs until a worker reads the queue: the runs wait, queued, in the database
    time.sleep(1)
    assert run_row(db_path, good)[0] == "queued"
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
            "-Q", env["MESH_TASK_QUEUE"], "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-l", "warning",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        finished = {"succeeded", "partial", "failed"}
        status, counts, errors = wait_for(
            lambda: (row := run_row(db_path, good))[0] in finished and row,
            90,
            "the worker to finish the Chinook harvest",
        )
        assert (status, counts["datasets"], counts["fields"]) == ("succeeded", 11, 64), errors
        # an unreachable database fails its own run with the reason, and only that run
        status, _, errors = wait_for(
            lambda: (row := run_row(db_path, bad))[0] in finished and row,
            60,
            "the worker to finish the unreachable source",
        )
        assert status == "failed"
        assert "cannot connect" in errors[0]["message"], errors
        # the outbox task queued after commit ran on the worker too: search finds the tables
        found = wait_for(
            lambda: (
                shell(
                    "from catalog.search import search; r = search('InvoiceLine')['results']; print(r[0]['name'] if r else '')"
                )
                == "InvoiceLine"
            ),
            30,
            "the search index to be fed from the outbox by the worker",
        )
        assert found
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
