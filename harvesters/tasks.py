"""Celery tasks of the harvesters (``harvesters.drain_openlineage_intake`` is defined
beside the intake it drains, :mod:`harvesters.kinds.openlineage.intake`)."""

import logging
import threading

from celery import shared_task
from django.conf import settings
from django.db import connection

from catalog.models import HarvestRun, Source
from harvesters.guard import Refused, claim, claim_run, is_resumable
from harvesters.kinds.openlineage.intake import drain_openlineage_intake
from harvesters.liveness import is_alive, mark_lost, reap_lost_runs
from harvesters.runner import run_harvest
from harvesters.schedules import fired_at

log = logging.getLogger(__name__)


@shared_task(name="harvesters.harvest_source", acks_late=True)
def harvest_source(source_id: int, run_id: int | None = None, resume: bool = False) -> int:
    """Harvest the source with id ``source_id``; returns the HarvestRun id.

    ``run_id`` names a queued run row to fill (created by :func:`enqueue_harvest`), or
    with ``resume=True`` a failed run to resume after its last committed checkpoint.
    Safe to redeliver: a run that finished is not harvested again, one still running
    elsewhere (live heartbeat) is left alone, and one whose worker died is marked failed
    ("worker lost") and resumed from its checkpoint when it committed batches, else
    harvested again as a new run.
    """
    source = Source.objects.get(pk=source_id)
    run = HarvestRun.objects.filter(pk=run_id).first() if run_id else None
    if run is not None and run.status != HarvestRun.Status.QUEUED:
        # A redelivered message (acks_late: the worker died before acknowledging it).
        if run.status == HarvestRun.Status.RUNNING and is_alive(run.id):
            return run.id  # another worker is on it
        if run.status in (
            HarvestRun.Status.SUCCEEDED,
            HarvestRun.Status.PARTIAL,
            HarvestRun.Status.CANCELLED,
        ):
            return run.id  # it finished (or was cancelled); only the acknowledgement was lost
        if run.status == HarvestRun.Status.RUNNING:
            mark_lost(run)
            run.refresh_from_db()
        if run.status == HarvestRun.Status.FAILED and is_resumable(run):
            # its worker died after committing batches: go on from the last checkpoint
            return run_harvest(source, run, resume=True).id
        run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED)
    return run_harvest(source, run, resume=resume).id


@shared_task(name="harvesters.scheduled_harvest", bind=True, acks_late=True)
def scheduled_harvest(self, source_id: int, expire_seconds: int | None = None) -> int | None:
    """Beat task of a source's schedule (:mod:`harvesters.schedules`): harvest the source
    in this worker unless it must not start now; returns the run id or None.

    Skipped (logged at INFO) when the source is gone, disabled or push-only, has a run
    queued or running (a schedule never starts a second run), or already has a run
    that started after this message was sent (``expires - expire_seconds``): the ticks
    beat sent while no worker was up run once, not once each.
    """
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return None
    since = fired_at(self.request.expires, expire_seconds)
    run, reason = claim_run(source, since=since)
    if run is None:
        log.info("scheduled harvest of %s skipped: %s", source.name, reason)
        return None
    return run_harvest(source, run).id


@shared_task(name="harvesters.reap_lost_runs")
def reap_lost_runs_task() -> list[int]:
    """Beat task: mark runs whose worker is gone ``failed`` ("worker lost"); returns
    their ids (see :mod:`harvesters.liveness`)."""
    return reap_lost_runs()


def enqueue_harvest(source: Source, resume: HarvestRun | None = None) -> HarvestRun:
    """Queue a harvest of ``source`` without blocking the caller; returns the queued run.

    The run is claimed under the source's start lock (:func:`harvesters.guard.claim`,
    the lock the schedules use): raises :class:`harvesters.guard.Refused` (409 naming
    the run that is going, 400/409 for a source that cannot be harvested) instead of
    starting a second run. ``resume``: a run for which :func:`is_resumable` holds,
    continued after its last checkpoint (it is queued again) instead of a new run.
    With a broker, a Celery worker picks it up. In embedded mode (no broker) the eager
    task runs in a background thread of this process so a web request returns at once.
    """
    run = claim(source, resume=resume)
    if settings.CELERY_TASK_ALWAYS_EAGER:

        def work() -> None:
            try:
                harvest_source.apply(args=(source.id, run.id, resume is not None))
            finally:
                connection.close()  # this thread's own connection; never reused

        threading.Thread(target=work, name=f"harvest-{run.id}", daemon=True).start()
    else:
        harvest_source.delay(source.id, run.id, resume is not None)
    return run


__all__ = [
    "Refused",
    "drain_openlineage_intake",
    "enqueue_harvest",
    "harvest_source",
    "is_resumable",
    "reap_lost_runs_task",
]
