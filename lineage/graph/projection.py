"""Keeps the graph store current from the outbox (a no-op for the SQL backend)."""

from catalog.models import Asset, OutboxEvent
from catalog.outbox import Projection
from lineage.graph import get_graph_backend


class GraphProjection(Projection):
    """Applies ``asset`` and ``lineage`` outbox events to a graph backend that stores
    its own copy (one with ``replace_incoming``); backends that read SQL ignore them."""

    name = "graph"

    def apply(self, events: list[OutboxEvent]) -> None:
        """Re-sync the incoming edges of every touched asset; drop removed assets."""
        backend = get_graph_backend()
        if not hasattr(backend, "replace_incoming"):
            return
        urns = {e.key for e in events}
        rows = Asset.objects.filter(urn__in=urns).values_list("id", "removed")
        backend.remove_assets([i for i, removed in rows if removed])
        backend.replace_incoming([i for i, removed in rows if not removed])

    def rebuild(self) -> int:
        """Rebuild the graph store from SQL (0 for backends that read SQL directly)."""
        backend = get_graph_backend()
        return backend.rebuild() if hasattr(backend, "rebuild") else 0
