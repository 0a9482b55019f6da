"""Celery tasks of the usage app."""

from celery import shared_task

from usage.rollup import rollup_usage
from usage.store import compute_popularity


@shared_task(name="usage.tasks.compute_popularity")
def compute_popularity_task() -> int:
    """Recompute popularity (the window moves daily); returns scores changed."""
    return compute_popularity()


@shared_task(name="usage.tasks.rollup_usage")
def rollup_usage_task() -> dict:
    """Roll daily usage older than ``MESH_USAGE_RETENTION_DAYS`` into monthly rows;
    returns ``{table: [rows before, rows after]}``."""
    return {table: list(counts) for table, counts in rollup_usage().items()}
