"""The rules guarding writes to sources, one module for the pages, the API and the admin.

- :func:`clean_config`: unmask (keep stored secrets sent back as ``********``), validate
  against the kind's pydantic model, confine paths (:mod:`harvesters.paths`).
- :func:`save_source`: create or change a source and its schedule in one transaction.
- :func:`set_enabled`: enable or disable a source (and its schedule).
- :func:`deletion_summary` / :func:`delete_source`: what deleting does, and doing it
  (refused with 409 while a run is queued or running).
- :func:`probe_source`: test connection of a new or stored config.
- :func:`restore_run_assets`: the undo of a run's soft deletions (run page, API,
  admin and commands alike).

Errors are :class:`SourceProblem` with an HTTP ``status`` and ``errors`` naming each
field; permission checks stay with the callers (:mod:`harvesters.access`).
"""

import logging

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from catalog.models import Asset, AssetSource, HarvestRun, OutboxEvent, Source
from catalog.outbox import schedule_outbox_processing
from harvesters.access import NOT_ALLOWED, can_manage_source
from harvesters.base import ConfigError
from harvesters.guard import ACTIVE
from harvesters.models import RunChange
from harvesters.paths import path_problems
from harvesters.probe import ProbeResult, test_connection
from harvesters.registry import HARVESTERS, validate_source_config
from harvesters.schedules import (
    ScheduleError,
    ScheduleSpec,
    parse_schedule,
    save_schedule,
    sync_enabled,
    task_name,
)
from harvesters.secrets import SecretError, merge_masked
from harvesters.signals import assets_restored
from lineage.models import FieldLineageEdge, LineageEdge

log = logging.getLogger(__name__)
UNCHANGED = object()  #: "leave the schedule as it is" for :func:`save_source`


class SourceProblem(Exception):
    """A refused write: ``status`` (400, 409), ``errors`` ``{field: [messages]}``."""

    def __init__(self, errors: dict[str, list[str]], status: int = 400) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors, self.status = errors, status


def clean_config(kind: str, config: dict, stored: dict | None = None) -> dict:
    """``config`` for a source of ``kind``, masked secrets replaced from ``stored``,
    validated and normalised; raises :class:`SourceProblem` naming ``kind`` or
    ``config`` keys."""
    if kind not in HARVESTERS:
        known = ", ".join(sorted(HARVESTERS))
        raise SourceProblem({"kind": [f"unknown source kind '{kind}'; known: {known}"]})
    try:
        if stored is not None:
            config = merge_masked(config, stored)
        cleaned = validate_source_config(kind, config)
    except (ConfigError, SecretError) as exc:
        raise SourceProblem({"config": [str(exc)]}) from None
    problems = path_problems(kind, cleaned)
    if problems:
        raise SourceProblem({"config": problems})
    return cleaned


def clean_schedule(data) -> ScheduleSpec | None:
    """:func:`harvesters.schedules.parse_schedule`, errors as :class:`SourceProblem`."""
    try:
        return parse_schedule(data)
    except ScheduleError as exc:
        raise SourceProblem({"schedule": [str(exc)]}) from None


def save_source(source: Source, schedule=UNCHANGED) -> Source:
    """Save ``source`` (its config already cleaned) and, unless ``UNCHANGED``, set its
    schedule (a :class:`ScheduleSpec` or None), in one transaction."""
    with transaction.atomic():
        source.save()
        if schedule is not UNCHANGED:
            save_schedule(source, schedule)
        sync_enabled(source)
    return source


def set_enabled(source: Source, enabled: bool) -> Source:
    """Enable or disable ``source``; its schedule follows (a disabled source is never
    harvested, by schedule or by hand)."""
    source.enabled = bool(enabled)
    with transaction.atomic():
        source.save(update_fields=["enabled"])
        sync_enabled(source)
    return source


def active_run(source: Source) -> HarvestRun | None:
    """The newest queued or running run of ``source``, or None."""
    return source.runs.filter(status__in=ACTIVE).order_by("-id").first()


def deletion_summary(source: Source) -> dict:
    """What deleting ``source`` does, counted: ``{"assets_removed": n`` (reported by
    this source only: soft-deleted, hidden from search and pages), ``"assets_kept": n``
    (also reported by another source: they stay, without this provenance),
    ``"lineage_edges": n`` (dataset and column edges this source asserted: deleted),
    ``"runs": n`` (run history: deleted), ``"scheduled": bool``, ``"active_run": id or
    None}``."""
    links = AssetSource.objects.filter(source=source, removed=False)
    asset_ids = list(links.values_list("asset_id", flat=True))
    shared = set(
        AssetSource.objects.filter(asset_id__in=asset_ids, removed=False)
        .exclude(source=source)
        .values_list("asset_id", flat=True)
    )
    run = active_run(source)
    return {
        "assets_removed": len(set(asset_ids) - shared),
        "assets_kept": len(shared),
        "lineage_edges": LineageEdge.objects.filter(origin=source).count()
        + FieldLineageEdge.objects.filter(origin=source).count(),
        "runs": source.runs.count(),
        "scheduled": PeriodicTask.objects.filter(name=task_name(source.pk)).exists(),
        "active_run": run.pk if run else None,
    }


def delete_source(source: Source) -> dict:
    """Delete ``source``: soft-delete the assets only it reported, delete its lineage
    edges, runs, provenance rows and schedule; returns :func:`deletion_summary` as it
    was. Raises :class:`SourceProblem` (409) while a run is queued or running."""
    with transaction.atomic():
        summary = deletion_summary(source)
        if summary["active_run"]:
            raise SourceProblem(
                {
                    "detail": [
                        f"source '{source.name}' has a harvest in progress (run "
                        f"{summary['active_run']}); cancel it or wait for it to finish"
                    ]
                },
                status=409,
            )
        links = AssetSource.objects.filter(source=source, removed=False)
        asset_ids = list(links.values_list("asset_id", flat=True))
        others = AssetSource.objects.filter(asset_id__in=asset_ids, removed=False).exclude(
            source=source
        )
        gone = sorted(set(asset_ids) - set(others.values_list("asset_id", flat=True)))
        urns = list(Asset.objects.filter(id__in=gone).values_list("urn", flat=True))
        Asset.objects.filter(id__in=gone).update(removed=True, removed_at=timezone.now())
        edge_urns = set(
            LineageEdge.objects.filter(origin=source).values_list("downstream__urn", flat=True)
        ) | set(
            FieldLineageEdge.objects.filter(origin=source).values_list(
                "downstream__asset__urn", flat=True
            )
        )
        OutboxEvent.objects.bulk_create(
            [OutboxEvent(topic=OutboxEvent.Topic.ASSET, key=u, op="delete") for u in urns]
            + [OutboxEvent(topic=OutboxEvent.Topic.LINEAGE, key=u) for u in edge_urns]
        )
        source.delete()  # cascades: provenance, edges, runs; the schedule via post_delete
        transaction.on_commit(schedule_outbox_processing)
    return summary


def probe_source(kind: str, config: dict, stored: Source | None = None) -> ProbeResult:
    """Test connection of ``config`` (masked secrets taken from ``stored``'s config);
    a config that does not validate gives ``ok=False`` with the reason."""
    try:
        cleaned = clean_config(kind, config, stored.config if stored is not None else None)
    except SourceProblem as exc:
        return ProbeResult(False, str(exc))
    return test_connection(kind, cleaned)


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
