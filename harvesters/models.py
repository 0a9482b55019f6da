"""Sources to harvest, the record of each harvest run, and per-source provenance."""

from django.db import models
from django.utils import timezone

from catalog.models import Asset


class Source(models.Model):
    """A configured place to harvest from.

    ``kind`` names a harvester in :data:`harvesters.registry.HARVESTERS` (``sql``,
    ``dbt``, ``lake``, ...); ``config`` is validated by that harvester's pydantic config
    class before it is saved or run.
    """

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=32)
    config = models.JSONField(default=dict)
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    #: slug of the team that owns the source: its members (and staff) may change,
    #: harvest or delete it (see harvesters.access)
    owner_team = models.SlugField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HarvestRun(models.Model):
    """One run of a harvester against a source, with its report.

    ``counts`` maps a record kind to how many were written (e.g. ``{"datasets": 11,
    "fields": 64, "lineage_edges": 3}``); ``warnings`` and ``errors`` are lists of
    ``{"item": <file/table/statement>, "message": <why>}`` (capped). ``progress`` is
    ``{"done": n, "total": n or null, "stage": str}`` while running.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial"
        FAILED = "failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    removed_count = models.IntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source.name} run {self.pk} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        """Wall-clock seconds from start to end, or None while running."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class AssetSource(models.Model):
    """Which source reported an asset, when first and last, and in which run.

    Stale-entity removal compares ``last_run`` with the current successful run: rows of
    the source not touched by it are candidates for soft deletion.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="provenance")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="asset_links")
    last_run = models.ForeignKey(HarvestRun, on_delete=models.SET_NULL, null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    removed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "source"], name="asset_source_unique")
        ]
