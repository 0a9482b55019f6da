"""Heartbeats of running harvests, and the reaper of runs whose worker is gone.

While a harvest runs, a daemon thread of its process writes a heartbeat to the cache
every ``MESH_RUN_HEARTBEAT_SECONDS`` (default 15) that expires after
``MESH_RUN_LOST_SECONDS`` (default 120). The cache is used (not the run row) because the
harvest's own transaction holds the database's write lock on SQLite; the cache is shared
by the processes of one machine (file cache) or all of them (``CACHE_URL=redis://...``).

:func:`reap_lost_runs` marks ``failed`` ("worker lost") every run still ``running`` that
started more than ``MESH_RUN_LOST_SECONDS`` ago and has no live heartbeat. It runs as the
Celery beat task ``harvesters.reap_lost_runs`` (every minute) and when the sources page is
shown (embedded mode has no beat).
"""

import contextlib
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from catalog.models import HarvestRun
from harvesters.progress import progress_key

WORKER_LOST = "worker lost"


def heartbeat_seconds() -> float:
    """Seconds between two heartbeats of a running harvest."""
    return float(getattr(settings, "MESH_RUN_HEARTBEAT_SECONDS", 15))


def lost_seconds() -> float:
    """Seconds without a heartbeat after which a running harvest counts as lost."""
    return float(getattr(settings, "MESH_RUN_LOST_SECONDS", 120))


def heartbeat_key(run_id: int) -> str:
    """Cache key of the heartbeat ``{"at": epoch seconds, "host", "pid"}`` of a run."""
    return f"mesh:harvest-heartbeat:{run_id}"


def beat(run_id: int) -> None:
    """Write one heartbeat of run ``run_id`` now."""
    value = {"at": time.time(), "host": socket.gethostname(), "pid": os.getpid()}
    cache.set(heartbeat_key(run_id), value, max(1, int(lost_seconds())))


def is_alive(run_id: int) -> bool:
    """Whether run ``run_id`` has a heartbeat younger than ``MESH_RUN_LOST_SECONDS``."""
    value = cache.get(heartbeat_key(run_id))
    return bool(value) and time.time() - float(value.get("at", 0)) < lost_seconds()


class Heartbeat:
    """Context manager: heartbeats of run ``run_id`` from a daemon thread while open."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(heartbeat_seconds()):
            with contextlib.suppress(Exception):  # a cache hiccup must not stop the harvest
                beat(self.run_id)

    def __enter__(self) -> "Heartbeat":
        beat(self.run_id)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        cache.delete(heartbeat_key(self.run_id))


def mark_lost(run: HarvestRun) -> bool:
    """Mark ``run`` failed with a "worker lost" error if it is still running; returns
    whether it was changed (a run that finished meanwhile is left alone)."""
    errors = list(run.errors or []) + [
        {
            "item": "worker",
            "message": f"{WORKER_LOST}: no heartbeat for over {lost_seconds():.0f} s; "
            "the process running the harvest stopped (killed or crashed)",
        }
    ]
    # a run that committed batches keeps its checkpoint: it can be resumed
    progress = {**(run.progress or {}), "stage": "finished"}
    changed = HarvestRun.objects.filter(pk=run.pk, status=HarvestRun.Status.RUNNING).update(
        status=HarvestRun.Status.FAILED, ended_at=timezone.now(), errors=errors, progress=progress
    )
    if changed:
        cache.delete(progress_key(run.pk))
    return bool(changed)


def reap_lost_runs() -> list[int]:
    """Fail every running harvest whose worker is gone; returns the run ids failed."""
    cutoff = timezone.now() - timedelta(seconds=lost_seconds())
    lost = []
    for run in HarvestRun.objects.filter(status=HarvestRun.Status.RUNNING, started_at__lt=cutoff):
        if not is_alive(run.pk) and mark_lost(run):
            lost.append(run.pk)
    return lost
