"""The harvesters app's own table: the durable OpenLineage intake queue.

:class:`~catalog.models.Source`, :class:`~catalog.models.HarvestRun` and
:class:`~catalog.models.AssetSource` live in the lowest layer that uses them, the catalog
(tables still named ``harvesters_source``, ``harvesters_harvestrun``,
``harvesters_assetsource``; migration ``harvesters.0002`` moved them without touching
data). These names are re-exported for code written against the old location.
"""

from django.db import models
from django.utils import timezone

from catalog.models import AssetSource, HarvestRun, Source

__all__ = ["AssetSource", "HarvestRun", "OpenLineageIntake", "Source"]


class OpenLineageIntake(models.Model):
    """A validated OpenLineage event waiting to be stored (the queued write path of
    ``POST /api/v1/lineage``, :mod:`harvesters.kinds.openlineage.intake`).

    ``payload`` is the event's canonical JSON text and ``event_hash`` its SHA-256 (the
    key :class:`lineage.models.OpenLineageEvent` dedupes on, unique here too so a
    redelivery while pending is one row). A row is deleted in the same transaction that
    stores its event, so a crash loses nothing and stores nothing twice. ``attempts``
    counts failed tries; at ``MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS`` the row is parked
    (kept, with ``last_error``, and no longer tried).
    """

    event_hash = models.CharField(max_length=64, unique=True)
    payload = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"intake {self.pk} ({self.event_hash[:12]})"
