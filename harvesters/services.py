"""Rules guarding the harvesters' writes that are not harvests themselves.

:func:`restore_run_assets` is the undo of a run's soft deletions, used alike by the run
page, the API (``POST /api/v1/runs/<id>/restore``) and the admin/commands.
"""

import logging

from django.db import transaction
from django.utils import timezone

from catalog.models import Asset, AssetSource, HarvestRun, OutboxEvent
from catalog.outbox import schedule_outbox_processing
from harvesters.access import NOT_ALLOWED, can_manage_source
from harvesters.models import RunChange
from harvesters.signals import assets_restored

log = logging.getLogger(__name__)
ACTIVE = (HarvestRun.Status.QUEUED, HarvestRun.Status.RUNNING)


class RestoreError(Exception):
    """A restore that cannot be done; ``status`` is the HTTP status that says why
    (400 bad input, 403 not allowed, 409 conflicting state) and the message names it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def removed_by_run(run: HarvestRun) -> dict[str, int | None]:
    """``{urn: asset id}`` of the assets ``run`` soft-deleted (its ``asset_removed``
    changes), in the order they were recorded."""
    return dict(
        RunChange.objects.filter(run=run, kind=RunChange.Kind.ASSET_REMOVED)
        .order_by("id")
        .values_list("urn", "asset_id")
    )


def restore_run_assets(run: HarvestRun, user, urns: list[str] | None = None) -> dict:
    """Undo ``run``'s soft deletions: all of them (``urns`` None) or the named ones.

    Each restored asset is reported by the run's source again (its provenance link is
    active) and is active in the catalog; an outbox event updates search and the graph;
    an ``asset_restored`` change (with the user) is added to the run and
    :data:`harvesters.signals.assets_restored` is sent (the audit trail records it).
    The next harvest keeps a restored asset if the source reports it and soft-deletes it
    again if the source still lacks it.

    Returns ``{"restored": [urns], "skipped": [urns already active]}``. Raises
    :class:`RestoreError`: 403 when ``user`` may not manage the source, 409 while the
    source has a queued or running harvest, 400 naming URNs this run did not remove.
    """
    source = run.source
    if not can_manage_source(user, source):
        raise RestoreError(NOT_ALLOWED, status=403)
    if HarvestRun.objects.filter(source=source, status__in=ACTIVE).exists():
        raise RestoreError(
            f"source '{source.name}' has a harvest queued or running; restore after it ends",
            status=409,
        )
    removed = removed_by_run(run)
    if urns is None:
        wanted = list(removed)
    else:
        unknown = [u for u in urns if u not in removed]
        if unknown:
            shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise RestoreError(f"run {run.pk} did not remove: {shown}")
        wanted = list(dict.fromkeys(urns))
    ids = {urn: removed[urn] for urn in wanted if removed[urn] is not None}
    with transaction.atomic():
        links = AssetSource.objects.select_for_update().filter(
            source=source, asset_id__in=list(ids.values()), removed=True
        )
        to_restore = set(links.values_list("asset_id", flat=True))
        links.update(removed=False)
        Asset.objects.filter(id__in=to_restore).update(removed=False, removed_at=None)
        restored = [urn for urn in wanted if ids.get(urn) in to_restore]
        OutboxEvent.objects.bulk_create(
            [OutboxEvent(topic=OutboxEvent.Topic.ASSET, key=urn) for urn in restored]
        )
        actor = user if getattr(user, "pk", None) else None
        by = getattr(user, "username", "") or ""
        RunChange.objects.bulk_create(
            [
                RunChange(
                    run=run,
                    kind=RunChange.Kind.ASSET_RESTORED,
                    urn=urn,
                    asset_id=ids[urn],
                    detail={"by": by},
                    actor=actor,
                )
                for urn in restored
            ],
            batch_size=1000,
        )
        transaction.on_commit(schedule_outbox_processing)
    if restored:
        for receiver, result in assets_restored.send_robust(
            sender=HarvestRun, run=run, actor=user, urns=restored
        ):
            if isinstance(result, Exception):
                log.warning("assets_restored receiver %r failed: %s", receiver, result)
    log.info("restored %d assets of run %s at %s", len(restored), run.pk, timezone.now())
    return {"restored": restored, "skipped": [u for u in wanted if u not in restored]}
