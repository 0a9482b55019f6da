"""Celery tasks of the usage app."""

from celery import shared_task

from usage.store import compute_popularity


@shared_task(name="usage.tasks.compute_popularity")
def compute_popularity_task() -> int:
    """Recompute popularity (the window moves daily); returns scores changed."""
    return compute_popularity()
