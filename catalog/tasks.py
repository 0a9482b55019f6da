"""Celery tasks of the catalog."""

from celery import shared_task

from catalog.outbox import process_outbox


@shared_task(name="catalog.process_outbox")
def process_outbox_task() -> dict[str, int]:
    """Apply pending outbox events to the projections; returns events applied per name."""
    return process_outbox()
