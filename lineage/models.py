"""Lineage edges, the system of record for the lineage graph (Marquez-style, in SQL).

An edge says data flows from ``upstream`` to ``downstream``, optionally through a
``job`` (itself an asset of kind job). Each edge carries provenance: the source
(``origin``) and run that last reported it, first and last seen. The graph store
(:mod:`lineage.graph`) is a projection of these rows.
"""

from django.db import models
from django.utils import timezone

from catalog.models import Asset, Field, HarvestRun, Source


class LineageEdge(models.Model):
    """Dataset-level edge upstream → downstream, through an optional job.

    ``key`` is a hash of (upstream, downstream, job, origin) URNs/ids, unique, so the
    same fact from the same source is one row however often it is harvested.
    """

    key = models.CharField(max_length=64, unique=True)
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
    origin = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="lineage_edges")
    run = models.ForeignKey(HarvestRun, on_delete=models.SET_NULL, null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["upstream", "downstream"]),
            models.Index(fields=["downstream", "upstream"]),
        ]


class FieldLineageEdge(models.Model):
    """Field-level edge: ``upstream`` column feeds ``downstream`` column.

    ``transformation`` is OpenLineage's ``DIRECT`` (value derived) or ``INDIRECT``
    (filter, join, group by); ``subtype`` its refinement (``IDENTITY``,
    ``TRANSFORMATION``, ``AGGREGATION``, ``JOIN``, ...).
    """

    key = models.CharField(max_length=64, unique=True)
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
    origin = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="field_edges")
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
