"""Store OpenLineage events: raw events, runs, and catalog records through the sink.

:func:`ingest_events` takes a list of decoded events (one request, a batch or a file
chunk), validates each, drops duplicates (SHA-256 of the canonical JSON), converts the
rest with :func:`harvesters.kinds.openlineage.convert.convert` and writes everything in **one**
transaction: the harvest records through :class:`harvesters.sink.CatalogSink` (origin: the
``openlineage`` :class:`Source`, no HarvestRun: intake is event-driven, there is no crawl
and no stale removal), the :class:`JobRun` rows and the raw :class:`OpenLineageEvent` rows.
One bad event never stops the others: it is reported by index and not stored.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Asset, Source
from catalog.outbox import schedule_outbox_processing
from harvesters.kinds.lake.naming import file_dataset_resolver, mentions_files, rename_file_datasets
from harvesters.kinds.openlineage.convert import STATE_RANK, Converted, RunUpdate, convert
from harvesters.kinds.openlineage.merge import prepare
from harvesters.kinds.openlineage.validation import error, validate_event
from harvesters.locks import lock_source
from harvesters.report import HarvestReport
from harvesters.signals import openlineage_runs_stored
from harvesters.sink import CatalogSink
from lineage.models import JobRun, OpenLineageEvent

log = logging.getLogger(__name__)
SOURCE_NAME = "openlineage"
CHUNK = 500


@dataclass
class ItemResult:
    """Outcome of one event: ``status`` created | duplicate | invalid | too_large."""

    index: int
    status: str
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """``{index, status, errors?, warnings?}`` for API bodies."""
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        if self.warnings:
            out["warnings"] = self.warnings
        return out


@dataclass
class IngestResult:
    """Per-event results plus what the sink wrote (``counts`` as in a harvest report)."""

    results: list[ItemResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def tally(self) -> dict[str, int]:
        """``{received, created, duplicates, invalid}``."""
        statuses = [r.status for r in self.results]
        return {
            "received": len(statuses),
            "created": statuses.count("created"),
            "duplicates": statuses.count("duplicate"),
            "invalid": len(statuses) - statuses.count("created") - statuses.count("duplicate"),
        }


def max_event_bytes() -> int:
    """The size limit of one event in bytes (``MESH_OPENLINEAGE_MAX_BYTES``, 5 MB)."""
    return int(getattr(settings, "MESH_OPENLINEAGE_MAX_BYTES", 5 * 1024 * 1024))


def canonical(event: Any) -> str:
    """The canonical JSON text of an event: sorted keys, no insignificant whitespace."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def openlineage_source() -> Source:
    """The ``openlineage`` Source every event is attributed to (created on first use)."""
    source = Source.objects.filter(name=SOURCE_NAME).first()
    if source is not None:
        return source
    source, _ = Source.objects.get_or_create(
        name=SOURCE_NAME,
        defaults={
            "kind": "openlineage",
            "config": {},
            "description": "Events received on POST /api/v1/lineage (OpenLineage).",
        },
    )
    return source


@dataclass
class _Pending:
    index: int
    event: dict
    kind: str
    digest: str
    conv: Converted | None = None


def ingest_events(
    events: list[Any], start_index: int = 0, preset: dict[int, list[dict]] | None = None
) -> IngestResult:
    """Validate, dedupe and store ``events``; result ``i`` is event ``start_index + i``.

    ``preset`` maps a list position to errors found before decoding (bad JSON line, too
    large); those items are reported invalid. Never raises for bad events; database
    errors other than a duplicate race propagate (nothing of the call is then written).
    """
    preset = preset or {}
    result = IngestResult()
    limit = max_event_bytes()
    pending: list[_Pending] = []
    by_index: dict[int, ItemResult] = {}
    for pos, event in enumerate(events):
        index = start_index + pos
        if pos in preset:
            by_index[index] = ItemResult(index, "invalid", preset[pos])
            continue
        kind, errors = validate_event(event)
        if errors:
            by_index[index] = ItemResult(index, "invalid", errors)
            continue
        text = canonical(event)
        if len(text.encode()) > limit:
            by_index[index] = ItemResult(
                index,
                "too_large",
                [
                    error(
                        "$",
                        f"event is {len(text.encode())} bytes, over the limit of {limit} bytes "
                        "(MESH_OPENLINEAGE_MAX_BYTES)",
                    )
                ],
            )
            continue
        pending.append(_Pending(index, event, kind, hashlib.sha256(text.encode()).hexdigest()))
    # local files under a lake source's root take the lake's names (one query, only when
    # an event names files); the stored event keeps what the producer sent
    resolve = file_dataset_resolver() if any(mentions_files(i.event) for i in pending) else None
    for item in pending:
        try:
            event = item.event
            if resolve is not None and mentions_files(event):
                event = copy.deepcopy(event)
                rename_file_datasets(event, resolve)
            item.conv = convert(event, item.kind)
        except Exception as exc:  # a converter bug must not lose the other events
            log.exception("OpenLineage event %s could not be converted", item.index)
            by_index[item.index] = ItemResult(
                item.index,
                "invalid",
                [error("$", f"could not be processed: {type(exc).__name__}: {exc}")],
            )
    pending = [p for p in pending if p.conv is not None]
    for attempt in (1, 2, 3):
        try:
            stored = _store(pending, result)
            break
        except IntegrityError:  # a concurrent delivery of the same event or run won a race
            if attempt == 3:
                raise
    for item in pending:
        status = "created" if item.digest in stored else "duplicate"
        by_index[item.index] = ItemResult(
            item.index, status, warnings=item.conv.warnings if status == "created" else []
        )
    result.results = [by_index[i] for i in sorted(by_index)]
    return result


def _store(pending: list[_Pending], result: IngestResult) -> set[str]:
    """Write the new events of ``pending`` in one transaction; returns their digests."""
    with transaction.atomic():
        # one writer of OpenLineage events at a time (PostgreSQL advisory lock; SQLite
        # serializes writers anyway): concurrent deliveries wait instead of colliding
        lock_source(openlineage_source().id)
        digests = [p.digest for p in pending]
        existing = set()
        for start in range(0, len(digests), CHUNK):
            existing.update(
                OpenLineageEvent.objects.filter(
                    event_hash__in=digests[start : start + CHUNK]
                ).values_list("event_hash", flat=True)
            )
        new: list[_Pending] = []
        for p in pending:
            if p.digest not in existing:
                existing.add(p.digest)
                new.append(p)
        if not new:
            return set()
        new.sort(key=lambda p: p.conv.event_time)
        source = openlineage_source()
        report = HarvestReport()
        sink = CatalogSink(source, None, report)
        known_ids = prepare([p.conv for p in new])
        for p in new:
            for record in p.conv.records:
                sink.add(record)
        sink.flush()
        _upsert_runs([p.conv.run for p in new if p.conv.run is not None], known_ids)
        transaction.on_commit(  # e.g. products: freshness SLIs from completed runs
            lambda: openlineage_runs_stored.send_robust(JobRun, updates=[p.conv.run for p in new])
        )
        now = timezone.now()
        OpenLineageEvent.objects.bulk_create(
            [
                OpenLineageEvent(
                    event_hash=p.digest,
                    kind=p.kind,
                    event_type=str(p.event.get("eventType") or ""),
                    event_time=p.conv.event_time,
                    run_id=p.conv.run.run_id if p.conv.run else None,
                    job_namespace=(p.event.get("job") or {}).get("namespace", ""),
                    job_name=(p.event.get("job") or {}).get("name", ""),
                    producer=str(p.event.get("producer") or "")[:1024],
                    schema_url=str(p.event.get("schemaURL") or "")[:1024],
                    payload=p.event,
                    origin=source,
                    received_at=now,
                )
                for p in new
            ],
            batch_size=CHUNK,
        )
        if any(report.counts.get(k) for k in ("datasets", "jobs", "lineage_edges")):
            transaction.on_commit(schedule_outbox_processing)  # the sink wrote outbox rows
    for key, value in report.counts.items():
        result.counts[key] = result.counts.get(key, 0) + value
    return {p.digest for p in new}


def _upsert_runs(updates: list[RunUpdate], known_ids: dict[str, int]) -> None:
    """Create or advance :class:`JobRun` rows from run updates (already in time order)."""
    if not updates:
        return
    run_ids = list({u.run_id for u in updates})
    runs = {r.run_id: r for r in JobRun.objects.filter(run_id__in=run_ids)}
    job_ids = {u.job_urn: known_ids[u.job_urn] for u in updates if u.job_urn in known_ids}
    missing = {u.job_urn for u in updates} - set(job_ids)
    if missing:
        job_ids.update(Asset.objects.filter(urn__in=missing).values_list("urn", "id"))
    created, changed = {}, {}
    now = timezone.now()
    for u in updates:
        run = runs.get(u.run_id)
        if run is None:
            run = JobRun(
                run_id=u.run_id,
                job_id=job_ids[u.job_urn],
                state="OTHER",
                first_event_time=u.event_time,
                last_event_time=u.event_time,
                facets={},
                created_at=now,
            )
            runs[u.run_id] = created[u.run_id] = run
        elif u.run_id not in created:
            changed[u.run_id] = run
        _apply(run, u, now)
    JobRun.objects.bulk_create(list(created.values()), batch_size=CHUNK)
    fields = [
        "job",
        "state",
        "state_time",
        "started_at",
        "ended_at",
        "nominal_start_time",
        "nominal_end_time",
        "first_event_time",
        "last_event_time",
        "parent_run_id",
        "parent_job_urn",
        "error_message",
        "facets",
        "event_count",
        "updated_at",
    ]
    if len(changed) <= 3:  # bulk_update's CASE expressions cost more than a few UPDATEs
        for run in changed.values():
            run.save(update_fields=fields)
    elif changed:
        JobRun.objects.bulk_update(list(changed.values()), fields, batch_size=CHUNK)


def _apply(run: JobRun, u: RunUpdate, now) -> None:
    """Fold one event into a run: forward-only state, earliest start, latest end."""
    etype = u.event_type if u.event_type in STATE_RANK else "OTHER"
    rank, current = STATE_RANK[etype], STATE_RANK.get(run.state, 0)
    if etype != "OTHER" and (
        rank > current
        or (rank == current and (run.state_time is None or u.event_time >= run.state_time))
    ):
        run.state, run.state_time = etype, u.event_time
    if etype == "START" or (etype == "RUNNING" and run.started_at is None):
        run.started_at = min(run.started_at or u.event_time, u.event_time)
    if etype in ("COMPLETE", "FAIL", "ABORT"):
        run.ended_at = max(run.ended_at or u.event_time, u.event_time)
    run.first_event_time = min(run.first_event_time, u.event_time)
    run.last_event_time = max(run.last_event_time, u.event_time)
    run.nominal_start_time = u.nominal_start_time or run.nominal_start_time
    run.nominal_end_time = u.nominal_end_time or run.nominal_end_time
    run.parent_run_id = u.parent_run_id or run.parent_run_id
    run.parent_job_urn = u.parent_job_urn or run.parent_job_urn
    run.error_message = u.error_message or run.error_message
    run.facets = {**(run.facets or {}), **u.facets}
    run.event_count += 1
    run.updated_at = now
