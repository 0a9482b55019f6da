"""Store pushed assets: the one write rule behind ``POST /api/v1/assets/bulk``.

:func:`push_assets` takes decoded items (see :mod:`harvesters.kinds.push.items`) for a
named source of kind ``push`` and writes them like a harvest run does, through the same
:class:`harvesters.sink.CatalogSink` bulk upserts (one :class:`catalog.models.HarvestRun`
per request, one transaction under the source's write lock, retried when a concurrent
writer of the same URNs wins a race). Upserts are idempotent by URN; deletes are soft
(the source's :class:`AssetSource` link is marked removed, and the asset too when no
other source still reports it). ``complete=True`` says the request is the whole source:
what the source reported before and not now is soft-deleted by the runner's stale
removal, behind its fail-safe (skipped when any item was invalid, when nothing was
pushed, or when more than ``MESH_STALE_REMOVAL_MAX_SHARE`` would go).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from catalog.models import Asset, AssetSource, HarvestRun, OutboxEvent, Source
from catalog.outbox import schedule_outbox_processing
from harvesters.kinds.push.items import Parsed, error, to_records, validate_item
from harvesters.locks import lock_source
from harvesters.models import RunChange
from harvesters.report import HarvestReport
from harvesters.runner import WRITE_ATTEMPTS, _is_write_race, _remove_stale
from harvesters.sink import CatalogSink

log = logging.getLogger(__name__)
KIND = "push"


@dataclass
class ItemResult:
    """Outcome of one item: ``status`` created | updated | deleted | not_found | invalid."""

    index: int
    status: str
    urn: str = ""
    op: str = ""
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """``{index, urn, op, status, errors?}`` for API bodies."""
        out: dict[str, Any] = {
            "index": self.index,
            "urn": self.urn,
            "op": self.op,
            "status": self.status,
        }
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class PushResult:
    """Per-item results plus the run that recorded the push."""

    run: HarvestRun
    results: list[ItemResult]
    removed: int = 0
    warnings: list[dict] = field(default_factory=list)

    def tally(self) -> dict[str, int]:
        """``{received, created, updated, deleted, not_found, invalid}``."""
        statuses = [r.status for r in self.results]
        keys = ("created", "updated", "deleted", "not_found", "invalid")
        return {"received": len(statuses), **{k: statuses.count(k) for k in keys}}


class PushRefused(Exception):
    """The push as a whole is refused (bad source name, wrong source kind, disabled)."""


def push_source(name: str, owner_team: str = "", check=None) -> Source:
    """The ``push`` source ``name``, created on first use (with ``owner_team``).

    ``check(source=None, owner_team="")``, when given, is called with the existing source
    (or, before creating one, with ``owner_team``) and raises to refuse the caller.
    Raises PushRefused when ``name`` is not a slug of 1 to 100 characters, or names a
    source of another kind (a crawled source's assets are never pushed over) or a
    disabled one."""
    try:
        validate_slug(name)
    except ValidationError:
        raise PushRefused(
            "source must be a slug (letters, digits, '-' or '_'), e.g. ?source=my-harvester"
        ) from None
    if len(name) > 100:
        raise PushRefused("source names are at most 100 characters")
    source = Source.objects.filter(name=name).first()
    if source is None:
        if check:
            check(owner_team=owner_team)
        try:
            with transaction.atomic():
                source = Source.objects.create(
                    name=name, kind=KIND, config={}, owner_team=owner_team,
                    description="Assets pushed to POST /api/v1/assets/bulk.",
                )  # fmt: skip
        except IntegrityError:  # created by a concurrent push
            source = Source.objects.get(name=name)
    if source.kind != KIND:
        raise PushRefused(
            f"source '{name}' is a {source.kind} source; pushes go to sources of kind "
            f"'{KIND}' (pick another name)"
        )
    if not source.enabled:
        raise PushRefused(f"source '{name}' is disabled")
    if check:
        check(source=source)
    return source


def push_assets(
    source: Source, items: list[Any], complete: bool = False, nul: bool = True
) -> PushResult:
    """Validate ``items`` and write the valid ones for ``source``; never raises for bad
    items (each is reported ``invalid`` with its errors and the others are stored).

    ``nul=False`` skips the per-item search for NUL characters (the body had none).
    Database errors other than a lost write race propagate after the run is recorded
    as failed (nothing of the request is then written)."""
    results: dict[int, ItemResult] = {}
    upserts: list[Parsed] = []
    deletes: list[Parsed] = []
    for index, raw in enumerate(items):
        parsed, errors = validate_item(index, raw, nul)
        if parsed is None:
            urn = raw.get("urn", "") if isinstance(raw, dict) else ""
            results[index] = ItemResult(index, "invalid", str(urn)[:768], "", errors)
        else:
            (deletes if parsed.op == "delete" else upserts).append(parsed)
    upserted = {p.urn for p in upserts}
    for p in list(deletes):
        if p.urn in upserted:
            deletes.remove(p)
            results[p.index] = ItemResult(p.index, "invalid", p.urn, "delete", [
                error(f"$[{p.index}]", "the same request upserts this URN; send one or "
                      "the other")
            ])  # fmt: skip
    run = HarvestRun.objects.create(
        source=source, status=HarvestRun.Status.RUNNING, started_at=timezone.now()
    )
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        report = HarvestReport()
        for r in results.values():
            report.error(f"item {r.index}", "; ".join(e["message"] for e in r.errors))
        try:
            statuses, removed, status = _write(source, run, report, upserts, deletes, complete)
            break
        except (IntegrityError, OperationalError) as exc:
            if attempt < WRITE_ATTEMPTS and _is_write_race(exc):
                log.info("push to %s lost a write race (%s); retrying", source.name, exc)
                continue
            _finish(run, HarvestRun.Status.FAILED, report, 0)
            raise
    for p in [*upserts, *deletes]:
        results[p.index] = ItemResult(p.index, statuses[p.index], p.urn, p.op)
    _finish(run, status, report, removed)
    return PushResult(run, [results[i] for i in sorted(results)], removed, run.warnings)


def _write(
    source: Source,
    run: HarvestRun,
    report: HarvestReport,
    upserts: list[Parsed],
    deletes: list[Parsed],
    complete: bool,
) -> tuple[dict[int, str], int, str]:
    """One transaction: upserts through the sink, deletes, stale removal if ``complete``.
    Returns ``({item index: status}, removed by stale removal, run status)``."""
    statuses: dict[int, str] = {}
    removed = 0
    with transaction.atomic():
        lock_source(source.id)
        known = _existing_urns([p.urn for p in upserts])
        sink = CatalogSink(source, run, report)
        for p in upserts:
            for record in to_records(p.item):
                sink.add(record)
            statuses[p.index] = "updated" if p.urn in known else "created"
            known.add(p.urn)  # a second upsert of a URN in one request updates it
        sink.flush()
        gone = _soft_delete(source, [p.urn for p in deletes], sink.changes)
        sink.changes.flush()
        for p in deletes:
            statuses[p.index] = "deleted" if p.urn in gone else "not_found"
        report.counts["deleted"] = len(gone)
        if complete:
            status, removed = _remove_stale(source, run, report, sink.seen_urns, sink.changes)
            sink.changes.flush()
        else:
            status = HarvestRun.Status.PARTIAL if report.errors else HarvestRun.Status.SUCCEEDED
        transaction.on_commit(schedule_outbox_processing)
    return statuses, removed, status


def _existing_urns(urns: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(urns), 1000):
        found.update(
            Asset.objects.filter(urn__in=urns[start : start + 1000]).values_list("urn", flat=True)
        )
    return found


def _soft_delete(source: Source, urns: list[str], changes=None) -> set[str]:
    """Mark ``source``'s links to ``urns`` removed, and the assets no other source still
    reports (each an ``asset_removed`` change of the run in ``changes``, a
    :class:`harvesters.changes.ChangeRecorder`); returns the URNs whose link was active
    (what was deleted)."""
    if not urns:
        return set()
    links = AssetSource.objects.filter(source=source, removed=False, asset__urn__in=urns)
    pairs = list(links.values_list("id", "asset_id", "asset__urn"))
    if not pairs:
        return set()
    AssetSource.objects.filter(id__in=[p[0] for p in pairs]).update(removed=True)
    asset_ids = [p[1] for p in pairs]
    still = set(
        AssetSource.objects.filter(asset_id__in=asset_ids, removed=False).values_list(
            "asset_id", flat=True
        )
    )
    orphans = [a for a in asset_ids if a not in still]
    if changes is not None:
        for _, asset_id, urn in pairs:
            changes.add(
                RunChange.Kind.ASSET_REMOVED,
                urn,
                asset_id,
                {"catalog_removed": asset_id not in still},
            )
    Asset.objects.filter(id__in=orphans).update(removed=True, removed_at=timezone.now())
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=OutboxEvent.Topic.ASSET, key=urn, op="delete")
         for _, asset_id, urn in pairs if asset_id in set(orphans)]
    )  # fmt: skip
    return {p[2] for p in pairs}


def _finish(run: HarvestRun, status: str, report: HarvestReport, removed: int) -> None:
    run.status, run.ended_at = status, timezone.now()
    run.counts = dict(report.counts)
    run.warnings, run.errors = report.warnings, report.errors
    run.removed_count = removed
    run.progress = {"done": report.counts.get("datasets", 0), "stage": "finished"}
    run.save()
