"""Celery tasks of the harvesters."""

import threading

from celery import shared_task
from django.conf import settings
from django.db import connection

from catalog.models import HarvestRun, Source
from harvesters.runner import run_harvest


@shared_task(name="harvesters.harvest_source", acks_late=True)
def harvest_source(source_id: int, run_id: int | None = None) -> int:
    """Harvest the source with id ``source_id``; returns the HarvestRun id.

    ``run_id`` names a queued run row to fill (created by :func:`enqueue_harvest`).
    """
    source = Source.objects.get(pk=source_id)
    run = HarvestRun.objects.get(pk=run_id) if run_id else None
    return run_harvest(source, run).id


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
