"""Celery tasks of the harvesters (``harvesters.drain_openlineage_intake`` is defined
beside the intake it drains, :mod:`harvesters.kinds.openlineage.intake`)."""

import threading

from celery import shared_task
from django.conf import settings
from django.db import connection

from catalog.models import HarvestRun, Source
from harvesters.kinds.openlineage.intake import drain_openlineage_intake
from harvesters.liveness import is_alive, mark_lost, reap_lost_runs
from harvesters.runner import run_harvest


@shared_task(name="harvesters.harvest_source", acks_late=True)
def harvest_source(source_id: int, run_id: int | None = None) -> int:
    """Harvest the source with id ``source_id``; returns the HarvestRun id.

    ``run_id`` names a queued run row to fill (created by :func:`enqueue_harvest`).
    Safe to redeliver: a run that finished is not harvested again, one still running
    elsewhere (live heartbeat) is left alone, and one whose worker died is marked failed
    ("worker lost") and harvested again as a new run.
    """
    source = Source.objects.get(pk=source_id)
    run = HarvestRun.objects.filter(pk=run_id).first() if run_id else None
    if run is not None and run.status != HarvestRun.Status.QUEUED:
        # A redelivered message (acks_late: the worker died before acknowledging it).
        if run.status == HarvestRun.Status.RUNNING and is_alive(run.id):
            return run.id  # another worker is on it
        if run.status in (HarvestRun.Status.SUCCEEDED, HarvestRun.Status.PARTIAL):
            return run.id  # it finished; only the acknowledgement was lost
        if run.status == HarvestRun.Status.RUNNING:
            mark_lost(run)
        run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED)
    return run_harvest(source, run).id


@shared_task(name="harvesters.reap_lost_runs")
def reap_lost_runs_task() -> list[int]:
    """Beat task: mark runs whose worker is gone ``failed`` ("worker lost"); returns
    their ids (see :mod:`harvesters.liveness`)."""
    return reap_lost_runs()


def enqueue_harvest(source: Source) -> HarvestRun:
    """Queue a harvest of ``source`` without blocking the caller; returns the queued run.

    With a broker, a Celery worker picks it up. In embedded mode (no broker) the eager
    task runs in a background thread of this process so a web request returns at once.
    """
    run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED)
    if settings.CELERY_TASK_ALWAYS_EAGER:

        def work() -> None:
            try:
                harvest_source.apply(args=(source.id, run.id))
            finally:
                connection.close()  # this thread's own connection; never reused

        threading.Thread(target=work, name=f"harvest-{run.id}", daemon=True).start()
    else:
        harvest_source.delay(source.id, run.id)
    return run


__all__ = ["drain_openlineage_intake", "enqueue_harvest", "harvest_source", "reap_lost_runs_task"]
