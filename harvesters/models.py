"""Models of the harvesters app: the change set of each harvest run, and the durable
OpenLineage intake queue.

:class:`~catalog.models.Source`, :class:`~catalog.models.HarvestRun` and
:class:`~catalog.models.AssetSource` live in the lowest layer that uses them, the catalog
(tables still named ``harvesters_source``, ``harvesters_harvestrun``,
``harvesters_assetsource``; migration ``harvesters.0002`` moved them without touching
data). These names are re-exported for code written against the old location.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.models import Asset, AssetSource, HarvestRun, Source

__all__ = ["AssetSource", "HarvestRun", "OpenLineageIntake", "RunChange", "Source"]


class RunChange(models.Model):
    """One thing a harvest run changed in the catalog (its diff), or a later restore.

    ``kind`` (see :class:`Kind`) with ``urn`` (the asset; for edges the downstream
    dataset) and ``detail``:

    - ``asset_added``: ``{"type": "table"}``; ``asset_removed`` (soft):
      ``{"catalog_removed": bool}`` (False when another source still reports it);
    - ``asset_changed``: ``{"description": [old, new], "owners_added": [...],
      "tags_added": [...]}`` (only the keys that changed);
    - ``schema_changed``: ``{"added": [names], "removed": [names], "type_changed":
      [[name, old, new], ...], "breaking": bool}`` (breaking: a column removed or its
      type changed; ``breaking`` is also a column, for filtering);
    - ``edge_added`` / ``edge_removed``: ``{"upstream": urn, "downstream": urn, "job":
      urn or null}`` (dataset-level lineage);
    - ``asset_restored``: ``{"by": user name}`` (an undo of ``asset_removed``).
    """

    class Kind(models.TextChoices):
        ASSET_ADDED = "asset_added"
        ASSET_REMOVED = "asset_removed"
        ASSET_CHANGED = "asset_changed"
        SCHEMA_CHANGED = "schema_changed"
        EDGE_ADDED = "edge_added"
        EDGE_REMOVED = "edge_removed"
        ASSET_RESTORED = "asset_restored"

    run = models.ForeignKey(HarvestRun, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    urn = models.CharField(max_length=768)
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    breaking = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "kind"], name="runchange_run_kind")]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.kind} {self.urn}"


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
