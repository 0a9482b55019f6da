"""The ``search`` projection: keeps the search index in step with the outbox.

Configured in ``settings.MESH_PROJECTIONS`` as ``"search":
"catalog.search.projection.SearchProjection"`` and driven by
:func:`catalog.outbox.process_outbox` (after each harvest commits).
"""

from __future__ import annotations

from catalog.models import Asset, OutboxEvent, ProjectionCursor
from catalog.outbox import Projection
from catalog.search import get_search_backend
from catalog.search.documents import iter_documents


class SearchProjection(Projection):
    """Applies ``asset`` events by rebuilding the documents of the touched URNs.

    Whatever the event's ``op``, the document is rebuilt from the database: an asset
    that is gone or removed is deleted from the index, any other is (re)indexed.
    ``lineage`` events do not change documents and are ignored.
    """

    name = "search"

    def apply(self, events: list[OutboxEvent]) -> None:
        """Re-index or delete the URNs of the ``asset`` events of the batch."""
        urns = {e.key for e in events if e.topic == "asset"}
        if not urns:
            return
        backend = get_search_backend()
        ids = dict(Asset.objects.filter(urn__in=urns, removed=False).values_list("urn", "id"))
        gone = urns - ids.keys()
        if gone:
            backend.delete(gone)
        if ids:
            backend.index_documents(iter_documents(ids.values()))

    def rebuild(self) -> int:
        """Rebuild the whole index from the database; returns documents written.

        The cursor is moved to the last outbox event seen *before* reading the
        database, so changes committed during the rebuild are applied again afterwards
        (re-indexing is idempotent).
        """
        last = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        written = get_search_backend().rebuild(iter_documents())
        ProjectionCursor.objects.update_or_create(
            name=self.name, defaults={"position": last, "last_error": ""}
        )
        return written
