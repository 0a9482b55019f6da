"""Keeps the graph store current from the outbox (a no-op for the SQL backend)."""

from catalog.models import Asset, OutboxEvent, ProjectionCursor
from catalog.outbox import Projection
from lineage.graph import get_graph_backend
from lineage.graph.base import ProjectedGraphBackend


class GraphProjection(Projection):
    """Applies ``asset`` and ``lineage`` outbox events to a graph backend that stores
    its own copy (a :class:`ProjectedGraphBackend`); backends that read SQL ignore them."""

    name = "graph"

    def apply(self, events: list[OutboxEvent]) -> None:
        """Re-sync the edges of every touched asset; drop removed assets."""
        backend = get_graph_backend()
        if not isinstance(backend, ProjectedGraphBackend):
            return
        urns = {e.key for e in events}
        rows = Asset.objects.filter(urn__in=urns).values_list("id", "removed")
        backend.remove_assets([i for i, removed in rows if removed])
        backend.sync_assets([i for i, removed in rows if not removed])

    def rebuild(self) -> int:
        """Rebuild the graph store from SQL; returns dataset edges written (0 for
        backends that read SQL directly).

        The cursor moves to the last outbox event seen *before* reading the database, so
        changes committed during the rebuild are applied again afterwards (re-syncing an
        asset is idempotent).
        """
        backend = get_graph_backend()
        if not isinstance(backend, ProjectedGraphBackend):
            return 0
        last = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        written = backend.rebuild()
        ProjectionCursor.objects.update_or_create(
            name=self.name, defaults={"position": last, "last_error": ""}
        )
        return written
