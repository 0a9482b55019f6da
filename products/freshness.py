"""Freshness SLIs from timestamps the catalog already holds (harvests and OpenLineage runs).

A freshness SLO measures the *age of the newest data* in seconds. Besides the live
``max(<timestamp column>)`` check (:mod:`products.checks`), the age can be read from what
harvests and run events stored about the port's asset; every one of these is a
*candidate* timestamp:

* ``lake last-modified``: ``Asset.properties["lake"]["last_modified"]`` written by the
  lake harvester (newest file mtime, Delta commit time or Iceberg snapshot time);
* ``dbt run``: ``properties["dbt"]["last_run"]["completed_at"]`` of a dbt build job whose
  lineage edge (:class:`lineage.models.LineageEdge` ``job=...``) outputs the asset, when
  that run's ``status`` is ``success`` (a failed or skipped build refreshed nothing);
* ``openlineage run``: ``JobRun.ended_at`` of the latest ``COMPLETE`` run of a job whose
  lineage edge outputs the asset (OpenLineage RunEvents, spec 2-0-2).

**The newest candidate wins**: data is as fresh as the latest thing known to have
written it. Samples are stored when a harvest run finishes (SLOs on assets the run
touched), when an OpenLineage batch with ``COMPLETE`` events commits (SLOs on outputs of
the completed jobs) and by the scheduled check for freshness SLOs that have no live SQL
source. Jobs with no inputs have no lineage edge, so their runs cannot be tied to an
output and are not candidates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Max
from django.utils import timezone

from catalog.models import Asset, AssetSource
from lineage.models import JobRun, LineageEdge, edge_filter
from products.models import SLO, SLIKind, SLISample
from products.slo import record_sample

log = logging.getLogger(__name__)

LAKE = "lake last-modified"
DBT = "dbt run"
OPENLINEAGE = "openlineage run"
DBT_FRESH_STATUSES = {"success"}


@dataclass(frozen=True)
class Stamp:
    """One candidate timestamp: ``at`` (aware UTC datetime) and its ``basis`` (LAKE...)."""

    at: datetime
    basis: str


def parse_stamp(value) -> datetime | None:
    """An ISO 8601 string or datetime as an aware UTC datetime; None when unreadable.

    Naive values are taken as UTC (dbt writes ``completed_at`` in UTC without offset).
    """
    if isinstance(value, str) and value.strip():
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def candidates(asset: Asset) -> list[Stamp]:
    """Every candidate timestamp for ``asset`` (see the module docstring), unordered.

    Costs two queries: the asset's job edges (with the jobs' properties) and the max
    ``ended_at`` of their complete runs.
    """
    found: list[Stamp] = []
    lake = (asset.properties or {}).get("lake") or {}
    stamp = parse_stamp(lake.get("last_modified")) if isinstance(lake, dict) else None
    if stamp:
        found.append(Stamp(stamp, LAKE))
    jobs = dict(
        LineageEdge.objects.filter(edge_filter(), downstream=asset, job__isnull=False)
        .filter(job__removed=False)
        .values_list("job_id", "job__properties")
        .distinct()
    )
    for props in jobs.values():
        last_run = ((props or {}).get("dbt") or {}).get("last_run") or {}
        if last_run.get("status") in DBT_FRESH_STATUSES:
            stamp = parse_stamp(last_run.get("completed_at"))
            if stamp:
                found.append(Stamp(stamp, DBT))
    if jobs:
        ended = JobRun.objects.filter(
            job_id__in=list(jobs), state=JobRun.State.COMPLETE, ended_at__isnull=False
        ).aggregate(newest=Max("ended_at"))["newest"]
        if ended:
            found.append(Stamp(parse_stamp(ended), OPENLINEAGE))
    return found


def newest(asset: Asset) -> Stamp | None:
    """The winning (newest) candidate timestamp of ``asset``; None when there is none."""
    found = candidates(asset)
    return max(found, key=lambda s: s.at) if found else None


def sample_slo(slo: SLO, trigger: str, now: datetime | None = None) -> SLISample | None:
    """Store one freshness sample for ``slo`` from the newest stored timestamp.

    ``value`` = age in seconds at ``now`` (never negative: a timestamp in the future is
    age 0); ``origin`` = ``"<trigger> (<basis>)"``, e.g. ``harvest:lake (lake
    last-modified)``. Returns None (nothing stored) when the asset has no candidate.
    """
    asset = slo.port.asset
    if asset is None:
        return None
    stamp = newest(asset)
    if stamp is None:
        return None
    now = now or timezone.now()
    age = max(0.0, (now - stamp.at).total_seconds())
    return record_sample(slo, age, origin=f"{trigger} ({stamp.basis})"[:128], at=now)


def _sample_all(slos, trigger: str) -> int:
    stored = 0
    for slo in slos:
        if sample_slo(slo, trigger) is not None:
            stored += 1
    return stored


def sample_after_harvest(run) -> int:
    """Freshness samples for enabled freshness SLOs whose port asset ``run`` touched
    (``AssetSource.last_run`` is the run). Returns how many samples were stored."""
    touched = AssetSource.objects.filter(source=run.source, last_run=run).values("asset_id")
    slos = SLO.objects.filter(
        enabled=True, kind=SLIKind.FRESHNESS, port__asset_id__in=touched
    ).select_related("port__asset")
    return _sample_all(slos, f"harvest:{run.source.name}")


def sample_after_runs(job_urns: set[str]) -> int:
    """Freshness samples for enabled freshness SLOs on assets output (through a lineage
    edge) by the jobs ``job_urns`` whose runs just completed. One query when no SLO is
    concerned, which is the common case. Returns how many samples were stored."""
    if not job_urns:
        return 0
    slos = (
        SLO.objects.filter(
            enabled=True,
            kind=SLIKind.FRESHNESS,
            port__asset__removed=False,
            port__asset__upstream_edges__job__urn__in=sorted(job_urns),
        )
        .select_related("port__asset")
        .distinct()
    )
    return _sample_all(list(slos), "openlineage")
