"""Catalog models: the SQL system of record for assets and what describes them.

An :class:`Asset` is anything with a URN (see :mod:`catalog.urns`): a dataset (table,
view, file, topic), a job or a dashboard. Harvesters merge what each source knows into
one row per URN; provenance per source lives in :class:`AssetSource`, with the
:class:`Source` and :class:`HarvestRun` it points at (tables still named ``harvesters_*``).
"""

from django.db import models
from django.utils import timezone


class AssetKind(models.TextChoices):
    """The entity class of an asset, the kind part of its URN."""

    DATASET = "dataset"
    JOB = "job"
    DASHBOARD = "dashboard"


class AssetType(models.TextChoices):
    """What an asset is, in the field's terms."""

    TABLE = "table"
    VIEW = "view"
    FILE = "file"
    TOPIC = "topic"
    JOB = "job"
    DASHBOARD = "dashboard"


class Asset(models.Model):
    """One catalog entry, keyed by URN.

    ``namespace`` + ``qualified_name`` are the OpenLineage namespace and name;
    ``name`` is the short display name (the last dotted part). ``properties`` holds
    source-specific facts (e.g. ``{"dbt": {"materialized": "table"}, "view_definition": ...}``).
    Sizes are in bytes; ``row_count`` is rows. ``removed`` is a soft delete.
    """

    urn = models.CharField(max_length=768, unique=True)
    kind = models.CharField(max_length=16, choices=AssetKind.choices, default=AssetKind.DATASET)
    type = models.CharField(max_length=16, choices=AssetType.choices, default=AssetType.TABLE)
    namespace = models.CharField(max_length=255)
    name = models.CharField(max_length=255, db_index=True)
    qualified_name = models.CharField(max_length=512)
    platform = models.CharField(max_length=64, db_index=True)
    description = models.TextField(blank=True, default="")
    properties = models.JSONField(default=dict, blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    removed = models.BooleanField(default=False, db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField("Tag", related_name="assets", blank=True)
    #: curated values (DataHub's "editable" aspects): written only by people through the
    #: governance app's curation service, never by a harvester; NULL / empty = none
    curated_description = models.TextField(null=True, blank=True)
    curated_tags = models.ManyToManyField("Tag", related_name="curated_assets", blank=True)

    class Meta:
        ordering = ["qualified_name", "id"]
        indexes = [models.Index(fields=["kind", "type"]), models.Index(fields=["last_seen"])]

    def __str__(self) -> str:
        return self.urn

    @property
    def effective_description(self) -> str:
        """The curated description when there is one, else the harvested one."""
        return self.description if self.curated_description is None else self.curated_description


class LiveFieldManager(models.Manager):
    """The default manager of :class:`Field`: only columns the asset has now
    (``removed_at`` unset). Related managers (``asset.fields``) and prefetches use it
    too; ``Field.all_objects`` sees removed columns as well."""

    def get_queryset(self):
        """Fields whose ``removed_at`` is NULL."""
        return super().get_queryset().filter(removed_at__isnull=True)


class Field(models.Model):
    """A column (field) of a dataset.

    A column dropped from an authoritative schema is soft-deleted (``removed_at``):
    ``Field.objects`` and ``asset.fields`` show live columns only; ``Field.all_objects``
    every row. A column reported again is live again (same row).
    ``data_type`` is a normalised family (``integer``, ``decimal``, ``float``,
    ``string``, ``boolean``, ``date``, ``timestamp``, ``binary``, ``struct``, ``array``,
    ``map``, ``other``); ``native_type`` is what the source said (e.g. ``NVARCHAR(40)``).
    ``fk_target_urn``/``fk_target_field`` name the referenced column of a foreign key.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=255)
    data_type = models.CharField(max_length=32, blank=True, default="")
    native_type = models.CharField(max_length=255, blank=True, default="")
    nullable = models.BooleanField(null=True, blank=True)
    description = models.TextField(blank=True, default="")
    ordinal = models.IntegerField(default=0)
    is_primary_key = models.BooleanField(default=False)
    fk_target_urn = models.CharField(max_length=768, blank=True, default="")
    fk_target_field = models.CharField(max_length=255, blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    #: curated by people (governance curation service), never written by harvesters
    curated_description = models.TextField(null=True, blank=True)
    curated_tags = models.JSONField(null=True, blank=True)  # NULL: none (raw inserts omit it)
    #: set when an authoritative harvest stopped reporting the column (soft delete: the
    #: row stays so its ended column-lineage edges answer ``as_of``); NULL when live
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = LiveFieldManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["asset_id", "ordinal", "name"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["asset", "name"], name="field_unique_per_asset")
        ]

    def __str__(self) -> str:
        return f"{self.asset.urn}#{self.name}"

    @property
    def effective_description(self) -> str:
        """The curated description when there is one, else the harvested one."""
        return self.description if self.curated_description is None else self.curated_description

    @property
    def effective_tags(self) -> list[str]:
        """Harvested tags, then curated ones not already among them."""
        curated = self.curated_tags or []
        return [*self.tags, *(t for t in curated if t not in self.tags)]


class Tag(models.Model):
    """A free-form label (dbt tags, database comments, user tags)."""

    name = models.CharField(max_length=128, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Owner(models.Model):
    """A person or team that owns assets. ``name`` is an email or a team handle."""

    class Kind(models.TextChoices):
        USER = "user"
        TEAM = "team"

    name = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.USER)
    email = models.EmailField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VisibleOwnershipManager(models.Manager):
    """The default manager of :class:`Ownership`: the rows people did not hide."""

    def get_queryset(self):
        """Ownerships with ``hidden`` false."""
        return super().get_queryset().filter(hidden=False)


class Ownership(models.Model):
    """Links an owner to an asset with an ownership type (DataHub's vocabulary).

    ``hidden``: a person removed this (harvested) owner through governance curation;
    the row stays so a re-harvest (which inserts ignoring existing rows) does not bring
    it back. ``Ownership.objects`` and ``asset.ownerships`` leave hidden rows out;
    ``Ownership.all_objects`` has them all."""

    class Type(models.TextChoices):
        TECHNICAL_OWNER = "technical_owner"
        BUSINESS_OWNER = "business_owner"
        DATA_STEWARD = "data_steward"
        NONE = "none"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="ownerships")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="ownerships")
    type = models.CharField(max_length=32, choices=Type.choices, default=Type.TECHNICAL_OWNER)
    origin = models.CharField(max_length=128, blank=True, default="")
    hidden = models.BooleanField(default=False)

    objects = VisibleOwnershipManager()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["asset", "owner", "type"], name="ownership_unique")
        ]


class QualityResult(models.Model):
    """One outcome of a data-quality check on an asset (optionally one field).

    Filled from dbt test results (``run_results.json``) and OpenLineage
    ``dataQualityAssertions``; read by SLOs. ``status`` is pass / fail / warn / error /
    skipped; ``executed_at`` is when the check ran (UTC).
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="quality_results")
    field_name = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=512)
    check_type = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16)
    executed_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(max_length=128, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "id"]
        indexes = [models.Index(fields=["asset", "name"])]


class OutboxEvent(models.Model):
    """A change to project into the search index and graph store.

    Written in the same transaction as the change it describes, so a projection that
    is down never misses a write: each projection keeps a :class:`ProjectionCursor` and
    replays events after it. ``topic`` is one of :class:`Topic` (``asset``: the asset
    with URN ``key`` changed; ``lineage``: edges into ``key`` changed); ``op`` is
    ``upsert`` or ``delete``. Writers use the constants, never bare strings.
    """

    class Topic:
        """What an event is about (its ``key`` is a URN either way); plain strings, so
        raw bulk writers (``harvesters.bulk``) store them as they are."""

        ASSET = "asset"
        LINEAGE = "lineage"

    topic = models.CharField(max_length=16)
    key = models.CharField(max_length=768)
    op = models.CharField(max_length=8, default="upsert")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class ProjectionCursor(models.Model):
    """How far a projection (``search``, ``graph``) has applied the outbox."""

    name = models.CharField(max_length=64, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    last_error = models.TextField(blank=True, default="")


# Provenance: where assets come from. Lineage edges (lineage app) and the harvest
# framework (harvesters app) both point at these, so they live in the lowest layer.
class Source(models.Model):
    """A configured place to harvest from.

    ``kind`` names a source kind registered by the harvesters app (``sql``, ``dbt``,
    ``lake``, ``openlineage``, ...; see :data:`harvesters.registry.HARVESTERS`); ``config``
    is validated by that kind's pydantic config class before it is saved or run. The table
    keeps its original name (``harvesters_source``): the model moved here so that lineage
    and the catalog can point at it without importing the harvesters app.
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
        db_table = "harvesters_source"  # created by the harvesters app; kept on the move
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
        #: stopped on request (UI or API) before it finished: keeps what it wrote,
        #: removes nothing (no stale removal)
        CANCELLED = "cancelled"

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
        db_table = "harvesters_harvestrun"
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
        db_table = "harvesters_assetsource"
        constraints = [
            models.UniqueConstraint(fields=["asset", "source"], name="asset_source_unique")
        ]
