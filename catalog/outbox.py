"""The transactional outbox and the projections fed from it.

Writers add :class:`catalog.models.OutboxEvent` rows in the same transaction as their
change. After commit, :func:`process_outbox` hands each projection (search index,
graph store) the events after its :class:`catalog.models.ProjectionCursor`. A
projection that raises keeps its cursor and gets the same events next time, so a down
projection never loses a write. Projections are configured in
``settings.MESH_PROJECTIONS`` as ``{name: dotted path to a Projection subclass}``.
"""

import logging
from functools import cache

from celery import shared_task
from django.conf import settings
from django.db.models import Min
from django.utils.module_loading import import_string

from catalog.models import OutboxEvent, ProjectionCursor

log = logging.getLogger(__name__)
BATCH = 1000


class Projection:
    """A read model rebuilt from the SQL system of record.

    Subclasses implement :meth:`apply` (incremental, from outbox events) and
    :meth:`rebuild` (from scratch, from the database).
    """

    name = ""

    def apply(self, events: list[OutboxEvent]) -> None:
        """Apply a batch of events in id order; raise to have them retried later."""
        raise NotImplementedError

    def rebuild(self) -> int:
        """Rebuild the whole projection from the database; return items written."""
        raise NotImplementedError


@cache
def projections() -> dict[str, Projection]:
    """The configured projections by name (instantiated once per process)."""
    return {
        name: import_string(path)()
        for name, path in getattr(settings, "MESH_PROJECTIONS", {}).items()
    }


def process_outbox(only: str | None = None) -> dict[str, int]:
    """Apply pending outbox events to every projection (or just ``only``).

    Returns ``{projection name: events applied}``. A failing projection records
    ``last_error`` on its cursor and is retried on the next call; the others go on.
    Events every projection has applied are deleted.
    """
    applied: dict[str, int] = {}
    for name, projection in projections().items():
        if only and name != only:
            continue
        cursor, _ = ProjectionCursor.objects.get_or_create(name=name)
        count = 0
        while True:
            events = list(OutboxEvent.objects.filter(id__gt=cursor.position)[:BATCH])
            if not events:
                break
            try:
                projection.apply(events)
            except Exception as exc:  # the projection is down: keep the cursor, retry later
                log.warning("projection %s failed: %s", name, exc)
                cursor.last_error = f"{type(exc).__name__}: {exc}"
                cursor.save(update_fields=["last_error", "updated_at"])
                break
            cursor.position, cursor.last_error = events[-1].id, ""
            cursor.save(update_fields=["position", "last_error", "updated_at"])
            count += len(events)
        applied[name] = count
    _prune()
    return applied


@shared_task(name="catalog.process_outbox")
def process_outbox_task() -> dict[str, int]:
    """Celery task ``catalog.process_outbox``: :func:`process_outbox` for every projection;
    returns events applied per projection name."""
    return process_outbox()


def _prune() -> None:
    names = list(projections())
    if not names:
        OutboxEvent.objects.all().delete()
        return
    cursors = ProjectionCursor.objects.filter(name__in=names)
    if cursors.count() < len(names):
        return
    low = cursors.aggregate(low=Min("position"))["low"] or 0
    OutboxEvent.objects.filter(id__lte=low).delete()


def schedule_outbox_processing() -> None:
    """Queue the Celery task that processes the outbox (runs at once in eager mode)."""
    try:
        process_outbox_task.delay()
    except Exception as exc:  # a broker outage must not fail the write that committed
        log.warning("could not queue outbox processing: %s", exc)


def reindex_assets(asset_ids) -> int:
    """Queue ``asset`` outbox events for ``asset_ids`` (iterable of ``catalog.Asset`` ids)
    in the caller's transaction, so the projections rebuild those assets' documents
    after commit (e.g. when another app changes facet values that enrich them).

    Returns the number of events written; processing is scheduled once per transaction.
    """
    from django.db import connection, transaction

    from catalog.models import Asset

    urns = list(
        Asset.objects.filter(id__in=[i for i in asset_ids if i]).values_list("urn", flat=True)
    )
    if not urns:
        return 0
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=OutboxEvent.Topic.ASSET, key=urn) for urn in urns]
    )
    queued = any(func is schedule_outbox_processing for _, func, *_ in connection.run_on_commit)
    if not queued:
        transaction.on_commit(schedule_outbox_processing)
    return len(urns)
