"""The rules guarding writes to sources, one module for the pages, the API and the admin.

- :func:`clean_config`: unmask (keep stored secrets sent back as ``********``), validate
  against the kind's pydantic model, confine paths (:mod:`harvesters.paths`).
- :func:`save_source`: create or change a source and its schedule in one transaction.
- :func:`set_enabled`: enable or disable a source (and its schedule).
- :func:`deletion_summary` / :func:`delete_source`: what deleting does, and doing it
  (refused with 409 while a run is queued or running).
- :func:`probe_source`: test connection of a new or stored config.

Errors are :class:`SourceProblem` with an HTTP ``status`` and ``errors`` naming each
field; permission checks stay with the callers (:mod:`harvesters.access`).
"""

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from catalog.models import Asset, AssetSource, HarvestRun, OutboxEvent, Source
from catalog.outbox import schedule_outbox_processing
from harvesters.base import ConfigError
from harvesters.guard import ACTIVE
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
from lineage.models import FieldLineageEdge, LineageEdge

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
