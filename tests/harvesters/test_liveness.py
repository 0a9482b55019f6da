"""Issue 9, item 6: a killed worker never leaves its run ``running`` forever.

A real process runs a slow harvest and is killed with SIGKILL; the reaper (the beat task
``harvesters.reap_lost_runs``) marks the run ``failed`` ("worker lost") once its heartbeat
is older than ``MESH_RUN_LOST_SECONDS``, but leaves a live harvest alone. The Celery task
is safe to redeliver (``acks_late``).
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.liveness import beat, reap_lost_runs
from harvesters.models import HarvestRun, Source
from harvesters.records import DatasetRecord
from harvesters.tasks import harvest_source

ROOT = Path(__file__).resolve().parents[2]


class SlowConfig(HarvesterConfig):
    """``tables``: how many; ``seconds``: pause before each."""

    tables: int = 3
    seconds: float = 0.0


class SlowHarvester(Harvester):
    """Reports ``tables`` datasets, sleeping ``seconds`` before each (a long harvest)."""

    kind = "slow"
    config_class = SlowConfig

    def records(self):
        for i in range(self.config.tables):
            time.sleep(self.config.seconds)
            yield DatasetRecord(
                urn=dataset_urn("test://slow", f"t{i}"),
                namespace="test://slow",
                qualified_name=f"t{i}",
                name=f"t{i}",
                platform="test",
            )


SETUP = (
    f"from harvesters import registry; registry.HARVESTERS['slow'] = '{__name__}.SlowHarvester'; "
)


def manage_shell(env: dict, code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SETUP + code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def run_status(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute("SELECT id, status, errors FROM harvesters_harvestrun").fetchall()


def test_killed_worker_run_is_marked_failed_by_the_reaper(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}} | {
        "MESH_VAR_DIR": str(tmp_path),
        "MESH_RUN_HEARTBEAT_SECONDS": "0.3",
        "MESH_RUN_LOST_SECONDS": "3",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    db_path = tmp_path / "catalog.sqlite3"
    worker = manage_shell(
        env,
        "from harvesters.models import Source; from harvesters.runner import run_harvest; "
        "s = Source.objects.create(name='slow', kind='slow', "
        "config={'tables': 1000, 'seconds': 0.05}); run_harvest(s)",
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = run_status(db_path) if db_path.exists() else []
            if rows and rows[0][1] == "running":
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the harvest did not start: {worker.stderr.read()}")
        time.sleep(4)  # older than MESH_RUN_LOST_SECONDS, but its heartbeat is live
        reaper = "from harvesters.liveness import reap_lost_runs; print(reap_lost_runs())"
        alive = manage_shell(env, reaper)
        assert alive.communicate(timeout=120)[0].strip() == "[]"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker dies mid-harvest
        worker.wait(timeout=30)
        assert run_status(db_path)[0][1] == "running"  # nobody else would ever change it
        time.sleep(3.5)
        out, err = manage_shell(env, reaper).communicate(timeout=120)
        assert out.strip() == f"[{rows[0][0]}]", err
        run_id, status, errors = run_status(db_path)[0]
        assert status == "failed" and "worker lost" in errors
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)


def test_celery_is_configured_to_redeliver_and_reap():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert timeout > int(os.environ.get("MESH_HARVEST_MAX_SECONDS", 6 * 3600)) > 3600
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "harvesters.reap_lost_runs" in tasks


@pytest.fixture
def slow_kind(monkeypatch):
    monkeypatch.setitem(registry.HARVESTERS, "slow", f"{__name__}.SlowHarvester")


def test_redelivered_task_is_safe(db, slow_kind):
    source = Source.objects.create(name="slow", kind="slow", config={"tables": 2})
    done = HarvestRun.objects.create(source=source, status=HarvestRun.Status.SUCCEEDED)
    assert harvest_source.apply(args=(source.pk, done.pk)).get() == done.pk
    assert HarvestRun.objects.count() == 1  # a finished run is not harvested again
    live = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    beat(live.pk)
    assert harvest_source.apply(args=(source.pk, live.pk)).get() == live.pk
    assert HarvestRun.objects.count() == 2  # a run another worker is on is left alone
    lost = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    new_id = harvest_source.apply(args=(source.pk, lost.pk)).get()
    lost.refresh_from_db()
    assert lost.status == "failed" and "worker lost" in lost.errors[-1]["message"]
    assert HarvestRun.objects.get(pk=new_id).status == "succeeded"


def test_reaper_leaves_young_and_live_runs_alone(db, settings):
    settings.MESH_RUN_LOST_SECONDS = 60
    source = Source.objects.create(name="slow", kind="slow", config={})
    young = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    assert reap_lost_runs() == []
    young.refresh_from_db()
    assert young.status == "running"
