"""The queued write path of ``POST /api/v1/lineage``: validate now, store in batches.

A request validates its event synchronously (the same checks as the batch path:
:func:`harvesters.kinds.openlineage.validation.validate_event` and the size limit), then
appends it to :class:`harvesters.models.OpenLineageIntake` in **one** ``INSERT ... ON
CONFLICT DO NOTHING`` (autocommit) and answers 201 ``{"status": "queued"}`` (200
``{"status": "duplicate"}`` when the same event is already stored or queued). A drainer,
:func:`drain_intake`, takes pending rows in id order (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so drainers never wait on each other), stores them through the batch path
(:func:`harvesters.kinds.openlineage.ingest.ingest_events`: dedupe by digest, the sink,
runs) and deletes them **in the same transaction**: a crash rolls back both, so an event
is never lost and never stored twice. A batch that fails is retried event by event; an
event that keeps failing is parked after ``MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS`` tries
(kept with its error, ``manage.py drain_openlineage_intake --retry-parked`` retries it).

Who drains: ``MESH_OPENLINEAGE_INTAKE`` = ``queue`` | ``sync`` | ``auto`` (default: queue
when ``CELERY_BROKER_URL`` is set, i.e. there are Celery workers; sync otherwise, the
embedded mode, where a request stores its event itself as before). In queue mode each
web process queues the Celery task ``harvesters.drain_openlineage_intake`` at most once
per ``MESH_OPENLINEAGE_INTAKE_DELAY`` seconds (0.5), delayed by that much, so an event
is in the lineage about that long after it was accepted (plus the drain's own time); a
Celery beat entry drains every 30 s as a safety net. With eager Celery (no broker) the
drain runs in the request after the insert.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from harvesters.kinds.openlineage.ingest import ingest_events
from harvesters.models import OpenLineageIntake
from lineage.models import OpenLineageEvent

log = logging.getLogger(__name__)
BATCH = 500  # events per drain transaction
_next_slot = 0.0  # monotonic time before which this process queues no further drain
_slot_lock = threading.Lock()


def intake_mode() -> str:
    """``queue`` or ``sync`` from ``MESH_OPENLINEAGE_INTAKE`` (``auto``: queue when a
    Celery broker is configured)."""
    mode = str(getattr(settings, "MESH_OPENLINEAGE_INTAKE", "auto") or "auto").lower()
    if mode in ("queue", "sync"):
        return mode
    return "sync" if settings.CELERY_TASK_ALWAYS_EAGER else "queue"


def max_attempts() -> int:
    """``MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS`` (5): tries before an event is parked."""
    return int(getattr(settings, "MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS", 5))


def drain_delay() -> float:
    """``MESH_OPENLINEAGE_INTAKE_DELAY`` (0.5 s): the queued drain's delay and the least
    interval between two drains queued by one process."""
    return float(getattr(settings, "MESH_OPENLINEAGE_INTAKE_DELAY", 0.5))


def enqueue(digest: str, text: str) -> bool:
    """Append a validated event (its SHA-256 ``digest`` and canonical JSON ``text``) to
    the intake table in one statement; False when it is already stored or queued."""
    table = connection.ops.quote_name(OpenLineageIntake._meta.db_table)
    stored = connection.ops.quote_name(OpenLineageEvent._meta.db_table)
    now = OpenLineageIntake._meta.get_field("received_at").get_db_prep_save(
        timezone.now(), connection
    )
    # One round trip: insert unless the event is already stored (or, by the unique
    # digest, already queued).
    sql = (
        f"INSERT INTO {table} (event_hash, payload, received_at, attempts, last_error) "
        f"SELECT %s, %s, %s, 0, '' WHERE NOT EXISTS "
        f"(SELECT 1 FROM {stored} WHERE event_hash = %s) "
        f"ON CONFLICT (event_hash) DO NOTHING"
    )
    params = [digest, text, now, digest]
    if connection.vendor == "postgresql":
        # a server-side prepared statement (parsed and planned once per connection; the
        # payload sent as a parameter, not quoted into the SQL text)
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.rowcount == 1
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def schedule_drain() -> None:
    """After an enqueue: drain now (eager Celery) or queue one delayed drain task per
    :func:`drain_delay` window of this process. Never raises (a broker outage leaves the
    events queued for the beat entry or the next request)."""
    global _next_slot
    if settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            drain_intake()
        except Exception:  # the event is safely queued; the next drain stores it
            log.exception("draining the OpenLineage intake failed")
        return
    delay = drain_delay()
    now = time.monotonic()
    with _slot_lock:
        if now < _next_slot:
            return  # a drain queued by this process runs after this event's commit
        _next_slot = now + delay
    try:
        drain_openlineage_intake.apply_async(countdown=delay)
    except Exception as exc:
        with _slot_lock:
            _next_slot = 0.0
        log.warning("could not queue the OpenLineage intake drain: %s", exc)


def drain_intake(max_batches: int | None = None, batch: int = BATCH) -> dict[str, int]:
    """Store pending intake events, ``batch`` per transaction, until none is left (or
    ``max_batches`` batches). Returns ``{"stored", "duplicates", "parked", "failed"}``
    (events stored, already stored, parked as invalid or after too many failures, and
    failed this time but to be retried)."""
    totals = {"stored": 0, "duplicates": 0, "parked": 0, "failed": 0}
    done = 0
    while max_batches is None or done < max_batches:
        done += 1
        with transaction.atomic():
            rows = _claim(batch)
            if not rows:
                break
            _store_batch(rows, totals)
        if len(rows) < batch:
            break
    return totals


@shared_task(name="harvesters.drain_openlineage_intake", acks_late=True)
def drain_openlineage_intake() -> dict[str, int]:
    """Celery task ``harvesters.drain_openlineage_intake``: :func:`drain_intake`. Safe to
    run twice at once or to redeliver (rows are claimed with ``SKIP LOCKED`` and deleted
    in the transaction that stores them)."""
    return drain_intake()


def _claim(batch: int) -> list[tuple[int, str]]:
    """Lock and return up to ``batch`` pending ``(id, payload)`` rows, oldest first."""
    pending = OpenLineageIntake.objects.filter(attempts__lt=max_attempts()).order_by("id")
    if connection.vendor == "postgresql":
        pending = pending.select_for_update(skip_locked=True)
    return list(pending.values_list("id", "payload")[:batch])


def _store_batch(rows: list[tuple[int, str]], totals: dict[str, int]) -> None:
    """Store ``rows`` in one savepoint; on a failure, one by one (inside the caller's
    transaction, which deletes what was stored and counts a try on what failed)."""
    events = [json.loads(payload) for _, payload in rows]
    try:
        with transaction.atomic():
            result = ingest_events(events)
    except Exception as exc:  # a bad event or a database fault: find which, one by one
        log.warning("OpenLineage intake batch of %d failed (%s); retrying one by one",
                    len(rows), exc)  # fmt: skip
        for row, event in zip(rows, events, strict=True):
            _store_one(row, event, totals)
        return
    invalid = {}
    for (row_id, _), item in zip(rows, result.results, strict=True):
        if item.status in ("created", "duplicate"):
            totals["stored" if item.status == "created" else "duplicates"] += 1
        else:
            invalid[row_id] = json.dumps(item.errors)
    _park(invalid, totals)
    OpenLineageIntake.objects.filter(id__in=[r[0] for r in rows if r[0] not in invalid]).delete()


def _store_one(row: tuple[int, str], event: dict, totals: dict[str, int]) -> None:
    row_id = row[0]
    try:
        with transaction.atomic():
            item = ingest_events([event]).results[0]
    except Exception as exc:
        totals["failed"] += 1
        OpenLineageIntake.objects.filter(id=row_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return
    if item.status in ("created", "duplicate"):
        totals["stored" if item.status == "created" else "duplicates"] += 1
        OpenLineageIntake.objects.filter(id=row_id).delete()
    else:
        _park({row_id: json.dumps(item.errors)}, totals)


def _park(errors: dict[int, str], totals: dict[str, int]) -> None:
    """Keep rows whose event cannot be stored (e.g. a converter failure), not retried."""
    for row_id, message in errors.items():
        OpenLineageIntake.objects.filter(id=row_id).update(
            attempts=max_attempts(), last_error=message[:2000]
        )
        log.warning("OpenLineage intake event %s parked: %s", row_id, message[:200])
    totals["parked"] += len(errors)
