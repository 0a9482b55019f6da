"""Issue 17, item 1: a source schedule run by a real ``celery beat`` and worker on Redis.

A catalog in its own var folder (SQLite file) with ``CELERY_BROKER_URL`` on the local
Redis and a queue of its own; ``celery beat`` (DatabaseScheduler, django-celery-beat) and
``celery worker`` run as subprocesses. Shown: the settings' beat entries are synced into
the database scheduler, a scheduled run appears, and ticks beat sent while no worker was
up run once when a worker comes back. Redis down fails the test (never skipped).
"""

import sqlite3
import subprocess
import sys
import time

import redis

from tests.harvesters.test_celery_redis import (  # noqa: F401  (fixture)
    CHINOOK,
    REDIS_URL,
    ROOT,
    catalog,  # noqa: F811
    wait_for,
)

SCHEDULE = """
from catalog.models import Source
from harvesters.services import clean_schedule, save_source
source = Source(name="chinook", kind="sql", config={{"url": "sqlite:///{path}"}})
save_source(source, clean_schedule({{"every": 2, "period": "seconds"}}))
print(source.pk)
"""


def rows(db_path, sql: str, *params) -> list[tuple]:
    """Rows of ``sql`` read straight from the catalog's SQLite file."""
    with sqlite3.connect(db_path, timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


def runs(db_path) -> list[tuple]:
    return rows(db_path, "SELECT id, status FROM harvesters_harvestrun ORDER BY id")


def start(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args, "-l", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_beat_runs_a_source_schedule_and_missed_ticks_run_once(catalog):  # noqa: F811
    env, _, db_path = catalog
    env = {**env, "MESH_SCHEDULE_MIN_SECONDS": "1"}
    queue = env["MESH_TASK_QUEUE"]
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", SCHEDULE.format(path=CHINOOK)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    worker_args = ["worker", "--pool", "solo", "-Q", queue, "--without-gossip",
                   "--without-mingle", "--without-heartbeat"]  # fmt: skip
    beat = start(env, "beat", "--max-interval", "1")
    worker = start(env, *worker_args)
    try:
        finished = wait_for(
            lambda: [r for r in runs(db_path) if r[1] == "succeeded"],
            90,
            "a scheduled run to appear and succeed",
        )
        assert finished
        # the settings' beat entries (SLO checks, lost-run reaper...) live in the database
        names = {n for (n,) in rows(db_path, "SELECT name FROM django_celery_beat_periodictask")}
        assert {"products-slo-checks", "harvesters-reap-lost-runs", "access-sweep"} <= names
        # workers down: beat keeps sending ticks, they wait in Redis
        stop(worker)
        time.sleep(1)
        before = len(runs(db_path))
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        wait_for(lambda: client.llen(queue) >= 3, 30, "beat to queue three ticks")
        stop(beat)
        assert wait_for(lambda: client.llen(queue) >= 3 and client.llen(queue), 5, "ticks")
        assert len(runs(db_path)) == before  # nothing ran meanwhile
        worker = start(env, *worker_args)
        wait_for(lambda: client.llen(queue) == 0, 60, "the worker to drain the ticks")
        time.sleep(3)  # the last tick taken is finished or skipped
        after = runs(db_path)
        assert len(after) == before + 1, after  # once, not once per tick
        wait_for(lambda: runs(db_path)[-1][1] == "succeeded", 60, "the catch-up run")
    finally:
        stop(beat)
        stop(worker)
