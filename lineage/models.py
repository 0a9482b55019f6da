"""Lineage edges, the system of record for the lineage graph (Marquez-style, in SQL).

An edge says data flows from ``upstream`` to ``downstream``, optionally through a
``job`` (itself an asset of kind job). Each edge carries provenance: the source
(``origin``) and run that last reported it, first and last seen. The graph store
(:mod:`lineage.graph`) is a projection of these rows.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from catalog.models import Asset, Field, HarvestRun, Source


class Provenance(models.TextChoices):
    """Who asserted an edge: a harvest (``harvested``) or a person (``manual``)."""

    HARVESTED = "harvested"
    MANUAL = "manual"


def edge_filter(as_of: datetime | None = None, hidden: bool = False) -> Q:
    """The edges a lineage answer uses: valid now (``valid_to`` unset), or at ``as_of``
    (``valid_from <= as_of < valid_to``); hidden edges only when ``hidden``."""
    if as_of is None:
        q = Q(valid_to__isnull=True)
    else:
        q = Q(valid_from__lte=as_of) & (Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
    if not hidden:
        q &= Q(hidden_at__isnull=True)
    return q


class EdgeHistory(models.Model):
    """Provenance, validity and hiding shared by dataset and column edges.

    An edge is never hard-deleted: a harvest that no longer sees it, or an owner removing
    a manual edge, sets ``valid_to`` (and renames ``key`` to ``<key>@<id>``, so the same
    fact seen again starts a new row with a new interval). ``provenance`` is
    ``harvested`` (``origin``: the source) or ``manual`` (``author``, ``note``, no
    origin; harvests never touch it). ``hidden_at`` / ``hidden_by`` / ``hidden_reason``:
    an owner hid a harvested edge; it stays in the table (re-harvests keep the row, so
    the hiding survives) and lineage answers leave it out unless asked.
    """

    provenance = models.CharField(
        max_length=16,
        choices=Provenance.choices,
        default=Provenance.HARVESTED,
        db_default=Provenance.HARVESTED,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True, default="", db_default="")
    valid_from = models.DateTimeField(default=timezone.now, db_default=Now())
    valid_to = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        abstract = True

    @property
    def current(self) -> bool:
        """Whether the edge is valid now (not ended)."""
        return self.valid_to is None


class LineageEdge(EdgeHistory):
    """Dataset-level edge upstream → downstream, through an optional job.

    ``key`` is a hash of (upstream, downstream, job, origin) URNs/ids, unique, so the
    same fact from the same source is one row however often it is harvested (ended
    rows carry ``<key>@<id>``, see :class:`EdgeHistory`).
    """

    key = models.CharField(max_length=100, unique=True)
    # No single-column indexes: the two composite indexes below lead with each of them.
    upstream = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="downstream_edges", db_index=False
    )
    downstream = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="upstream_edges", db_index=False
    )
    job = models.ForeignKey(
        Asset, on_delete=models.CASCADE, null=True, blank=True, related_name="job_edges"
    )
    origin = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="lineage_edges"
    )
    run = models.ForeignKey(HarvestRun, on_delete=models.SET_NULL, null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["upstream", "downstream"]),
            models.Index(fields=["downstream", "upstream"]),
            # Covering indexes of the current, visible edges (the default view of every
            # traversal): a level of impact analysis reads (upstream, downstream, job)
            # from the index alone, without a table lookup per edge. valid_to and
            # hidden_at (always NULL here) are columns too, or SQLite reads the table to
            # check the condition.
            models.Index(
                fields=["upstream", "downstream", "job", "valid_to", "hidden_at"],
                condition=models.Q(valid_to__isnull=True, hidden_at__isnull=True),
                name="lineage_edge_current_down",
            ),
            models.Index(
                fields=["downstream", "upstream", "job", "valid_to", "hidden_at"],
                condition=models.Q(valid_to__isnull=True, hidden_at__isnull=True),
                name="lineage_edge_current_up",
            ),
        ]


class FieldLineageEdge(EdgeHistory):
    """Field-level edge: ``upstream`` column feeds ``downstream`` column.

    ``transformation`` is OpenLineage's ``DIRECT`` (value derived) or ``INDIRECT``
    (filter, join, group by); ``subtype`` its refinement (``IDENTITY``,
    ``TRANSFORMATION``, ``AGGREGATION``, ``JOIN``, ...). History and provenance: see
    :class:`EdgeHistory`.
    """

    key = models.CharField(max_length=100, unique=True)
    # No single-column indexes: the two composite indexes below lead with each of them.
    upstream = models.ForeignKey(
        Field, on_delete=models.CASCADE, related_name="downstream_edges", db_index=False
    )
    downstream = models.ForeignKey(
        Field, on_delete=models.CASCADE, related_name="upstream_edges", db_index=False
    )
    transformation = models.CharField(max_length=16, default="DIRECT")
    subtype = models.CharField(max_length=32, blank=True, default="")
    job = models.ForeignKey(
        Asset, on_delete=models.CASCADE, null=True, blank=True, related_name="job_field_edges"
    )
    origin = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="field_edges"
    )
    run = models.ForeignKey(HarvestRun, on_delete=models.SET_NULL, null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["upstream", "downstream"]),
            models.Index(fields=["downstream", "upstream"]),
        ]


class OpenLineageEvent(models.Model):
    """One OpenLineage event as received on ``POST /api/v1/lineage`` (or imported).

    Spec: https://openlineage.io/spec/2-0-2/OpenLineage.json (RunEvent, DatasetEvent,
    JobEvent; older 1-x events too). ``payload`` is the event JSON as received;
    ``event_hash`` is the SHA-256 of its canonical form (sorted keys, no whitespace), unique,
    so a duplicate delivery is stored once. ``kind`` is ``run``, ``dataset`` or ``job``;
    ``event_type`` the RunEvent ``eventType`` (START, RUNNING, COMPLETE, ABORT, FAIL,
    OTHER, or empty); ``run_id`` the ``run.runId`` of run events.
    """

    event_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, default="run")
    event_type = models.CharField(max_length=16, blank=True, default="")
    event_time = models.DateTimeField(db_index=True)
    run_id = models.UUIDField(null=True, blank=True, db_index=True)
    job_namespace = models.CharField(max_length=255, blank=True, default="")
    job_name = models.CharField(max_length=512, blank=True, default="")
    producer = models.CharField(max_length=1024, blank=True, default="")
    schema_url = models.CharField(max_length=1024, blank=True, default="")
    payload = models.JSONField()
    origin = models.ForeignKey(
        Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="openlineage_events"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-event_time", "-id"]
        indexes = [models.Index(fields=["job_namespace", "job_name", "event_time"])]


class JobRun(models.Model):
    """One run of a job, built from the OpenLineage RunEvents that share a ``runId``.

    ``state`` follows START → RUNNING → COMPLETE / FAIL / ABORT (a late or replayed
    earlier event never moves a run backwards); ``OTHER`` marks a run known only from
    OTHER events. Times are UTC: ``started_at`` from the START (or first RUNNING) event,
    ``ended_at`` from the terminal event, ``nominal_*`` from the ``nominalTime`` facet,
    ``first_event_time``/``last_event_time`` over all its events. ``parent_run_id`` and
    ``parent_job_urn`` come from the ``parent`` facet, ``error_message`` from
    ``errorMessage``; ``facets`` merges the run facets of all its events (later wins).
    """

    class State(models.TextChoices):
        START = "START"
        RUNNING = "RUNNING"
        COMPLETE = "COMPLETE"
        FAIL = "FAIL"
        ABORT = "ABORT"
        OTHER = "OTHER"

    run_id = models.UUIDField(unique=True)
    job = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OTHER)
    state_time = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    nominal_start_time = models.DateTimeField(null=True, blank=True)
    nominal_end_time = models.DateTimeField(null=True, blank=True)
    first_event_time = models.DateTimeField()
    last_event_time = models.DateTimeField()
    parent_run_id = models.UUIDField(null=True, blank=True)
    parent_job_urn = models.CharField(max_length=768, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    facets = models.JSONField(default=dict, blank=True)
    event_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-first_event_time", "-id"]
        indexes = [models.Index(fields=["job", "-first_event_time"])]

    def __str__(self) -> str:
        return f"{self.run_id} ({self.state})"


class SchemaVersion(models.Model):
    """One version of an asset's schema, valid from ``valid_from`` until ``valid_to``
    (unset for the current one); never deleted.

    ``columns`` is ``[{name, data_type, native_type, nullable}]`` in ordinal order;
    ``fingerprint`` the SHA-256 of that list, so a harvest that reports the same schema
    adds no version. ``version`` counts from 1 per asset. Written by
    :func:`lineage.history.record_schema_versions` after fields are upserted.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="schema_versions")
    version = models.PositiveIntegerField()
    columns = models.JSONField(default=list)
    fingerprint = models.CharField(max_length=64)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asset_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "version"], name="schema_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} v{self.version}"
