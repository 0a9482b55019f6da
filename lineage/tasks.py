"""Celery tasks of the lineage app (discovered by ``config.celery``'s autodiscovery)."""

from celery import shared_task

from lineage.graph.projection import GraphProjection


@shared_task(name="lineage.rebuild_graph")
def rebuild_graph_task() -> int:
    """Rebuild the graph store from the SQL lineage edges on a worker, as
    ``manage.py rebuild_graph`` does in a shell; returns the edges written (0 for the
    ``sql`` backend, which reads the edges in place)."""
    return GraphProjection().rebuild()
