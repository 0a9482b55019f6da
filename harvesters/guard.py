"""Whether a source may be harvested now, for the API and the web pages.

:func:`harvest_refusal` answers ``None`` (go ahead) or ``(HTTP status, body)``: 409 for
a disabled or push-only source (OpenLineage events are pushed to us, there is nothing to
crawl) and for a source with a queued or running harvest (one at a time per source; the
runner also takes a per-source lock, :mod:`harvesters.locks`), 400 for a config that
reads paths outside ``MESH_SOURCE_PATH_ROOTS`` (:mod:`harvesters.paths`).

:func:`claim` takes that decision and creates (or re-queues, to resume) the run under
the source's start lock, for every way a run starts: "Harvest now" on the page and in
the API, the Resume button, and the schedules (:func:`claim_run`). Two clicks, or a
click during a scheduled run, never start two runs of one source: the second is refused
with 409 naming the run that is going.
"""

from datetime import datetime

from django.db import transaction

from catalog.models import HarvestRun, Source
from harvesters.base import ConfigError
from harvesters.locks import lock_source_start
from harvesters.paths import path_problems
from harvesters.registry import harvester_class

ACTIVE = (HarvestRun.Status.QUEUED, HarvestRun.Status.RUNNING)


def is_push_only(source: Source) -> bool:
    """Whether ``source`` only receives pushed data (no crawl: no "Harvest now")."""
    try:
        return not harvester_class(source.kind).stale_removal
    except ConfigError:
        return False


def harvest_refusal(source: Source) -> tuple[int, dict] | None:
    """``None`` if ``source`` may be harvested now, else ``(status, {"detail", ...})``."""
    if not source.enabled:
        return 409, {"detail": f"source '{source.name}' is disabled; enable it first"}
    if is_push_only(source):
        return 409, {
            "detail": f"source '{source.name}' is push-only ({source.kind}): events are sent "
            "to the catalog, there is nothing to harvest"
        }
    problems = path_problems(source.kind, source.config)
    if problems:
        return 400, {"detail": f"source '{source.name}' is not harvestable", "problems": problems}
    active = source.runs.filter(status__in=ACTIVE).order_by("-id").first()
    if active is not None:
        return 409, {
            "detail": f"source '{source.name}' already has a {active.status} harvest "
            f"(run {active.id}); wait for it to finish",
            "run": active.id,
        }
    return None


class Refused(Exception):
    """A run must not start: ``status`` (400, 409) and ``body`` ``{"detail", ...}``
    (``run``: the id of the run that is going, when that is the reason)."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body["detail"])
        self.status, self.body = status, body


def is_resumable(run: HarvestRun) -> bool:
    """Whether ``run`` failed or was cancelled after committing batches (it kept a
    checkpoint) and is its source's newest run, so resuming it cannot undo a later
    harvest."""
    stopped = (HarvestRun.Status.FAILED, HarvestRun.Status.CANCELLED)
    if run.status not in stopped or not (run.progress or {}).get("checkpoint"):
        return False
    newest = HarvestRun.objects.filter(source_id=run.source_id).order_by("-started_at", "-id")
    return newest.values_list("id", flat=True).first() == run.id


def claim(source: Source, resume: HarvestRun | None = None) -> HarvestRun:
    """Under the source's start lock: check that a run may start (:func:`harvest_refusal`)
    and create a queued run, or with ``resume`` (a run of ``source``) queue that run
    again to continue after its last checkpoint. Returns the queued run; raises
    :class:`Refused` (409 with ``run`` when a run is queued or running, 409 when
    ``resume`` cannot be resumed, 400/409 as :func:`harvest_refusal`)."""
    with transaction.atomic():
        lock_source_start(source.pk)
        refusal = harvest_refusal(source)
        if refusal is not None:
            raise Refused(*refusal)
        if resume is None:
            return HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED)
        resume.refresh_from_db()
        if resume.source_id != source.pk or not is_resumable(resume):
            raise Refused(
                409,
                {
                    "detail": f"run {resume.pk} of source '{source.name}' cannot be resumed: "
                    "only the newest run of a source that failed or was cancelled after "
                    "committing batches can",
                    "run": resume.pk,
                },
            )
        HarvestRun.objects.filter(pk=resume.pk).update(status=HarvestRun.Status.QUEUED)
        resume.status = HarvestRun.Status.QUEUED
        return resume


def claim_run(source: Source, since: datetime | None = None) -> tuple[HarvestRun | None, str]:
    """Create a queued run of ``source`` unless one must not start: ``(run, "")`` or
    ``(None, reason)``.

    Refused like :func:`harvest_refusal` (disabled, push-only, not harvestable, a run
    queued or running), and, with ``since``, when a run of the source started at or
    after ``since`` (a scheduled tick already served). The check and the insert happen
    under the source's start lock (:func:`harvesters.locks.lock_source_start`), so two
    callers never both start a run.
    """
    with transaction.atomic():
        lock_source_start(source.pk)
        refusal = harvest_refusal(source)
        if refusal is not None:
            return None, refusal[1]["detail"]
        if since is not None:
            served = source.runs.filter(started_at__gte=since).order_by("-id").first()
            if served is not None:
                return None, f"run {served.pk} started after this tick was due ({since})"
        return HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED), ""
