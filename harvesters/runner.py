"""Runs a harvester against a source: one transaction, a report, stale removal.

The run row is saved outside the transaction so that a failed run is still recorded;
everything the harvester writes is inside it, so a run that fails leaves no half-written
assets behind. Live progress goes to the cache (visible to other processes while the
transaction is open) under :func:`progress_key`.
"""

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from catalog.models import Asset, AssetSource, HarvestRun, OutboxEvent, Source
from catalog.outbox import schedule_outbox_processing
from harvesters.base import ConfigError, HarvestError
from harvesters.cancel import CancelWatch, cancel_key
from harvesters.changes import ChangeRecorder, announce_changes
from harvesters.liveness import Heartbeat
from harvesters.locks import lock_source
from harvesters.models import RunChange
from harvesters.paths import forbidden_problems
from harvesters.progress import progress_key
from harvesters.records import Checkpoint, DatasetRecord, JobRecord
from harvesters.registry import harvester_class
from harvesters.report import HarvestReport
from harvesters.secrets import redact_report, secret_values
from harvesters.sink import CatalogSink
from harvesters.vault import SecretError, resolve
from lineage.history import end_stale_edges
from lineage.models import LineageEdge

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int], None]
PROGRESS_SECONDS = 0.5  # least interval between live progress updates in the cache
WRITE_ATTEMPTS = 3  # a harvest that lost a write race with another writer is run again
ASSET_KEYS = ("datasets", "jobs")


def run_harvest(
    source: Source,
    run: HarvestRun | None = None,
    on_progress: ProgressCallback | None = None,
    resume: bool = False,
) -> HarvestRun:
    """Harvest ``source`` now, in this process, and return the finished run.

    Never raises for source problems: config errors, unreachable sources and per-item
    errors end up in ``run.errors`` with status failed or partial. An unexpected
    exception (a bug) fails the run with ``"unexpected <Type>: <message>"`` in
    ``run.errors``; its traceback is logged at DEBUG level on this module's logger.
    A harvester whose class sets ``stale_removal = False`` (push-based kinds such as
    ``openlineage``) gets no stale removal: nothing is ever soft-deleted by its runs.

    A source that yields more than ``MESH_HARVEST_COMMIT_EVERY`` assets is committed in
    batches at the harvester's :class:`~harvesters.records.Checkpoint` s (the checkpoint
    is saved in ``run.progress`` in the same transaction); a smaller one is written in
    one transaction. ``resume=True`` continues ``run`` (failed, e.g. its worker was
    killed) after its last committed checkpoint instead of starting over; without a
    checkpoint it harvests from the start.

    A run cancelled while running (:mod:`harvesters.cancel`) keeps what it read, removes
    nothing and ends ``cancelled`` (with its last checkpoint, if it committed batches, so
    it can be resumed like a failed one); one cancelled while queued is returned
    untouched.
    """
    if run is None:
        run = HarvestRun.objects.create(source=source)
    checkpoint = (run.progress or {}).get("checkpoint") if resume else None
    fields = {"status": HarvestRun.Status.RUNNING, "ended_at": None, "errors": []}
    if checkpoint is None:
        fields.update(started_at=timezone.now(), progress={})
    starting = HarvestRun.objects.filter(pk=run.pk).exclude(status=HarvestRun.Status.CANCELLED)
    if not starting.update(**fields):
        run.refresh_from_db()  # cancelled while queued: nothing to do
        return run
    for name, value in fields.items():
        setattr(run, name, value)
    started = time.monotonic()
    with Heartbeat(run.id), _lean_collector():
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            run.refresh_from_db(fields=["progress"])  # what the last commit left
            report = _report_from(run.progress)
            status, stale_removed, retry = _attempt(source, run, report, on_progress, attempt)
            if not retry:
                break
    secrets = secret_values(source.config)
    report.counts["seconds"] = round(
        time.monotonic() - started + (run.progress or {}).get("seconds", 0), 3
    )
    run.status, run.ended_at = status, timezone.now()
    run.counts = dict(report.counts)
    run.warnings = redact_report(report.warnings, secrets)
    run.errors = redact_report(report.errors, secrets)
    run.removed_count = stale_removed
    progress = {
        "done": sum(v for k, v in report.counts.items() if k in {"datasets", "jobs"}),
        "stage": "finished",
    }
    checkpointed = (run.progress or {}).get("checkpoint") is not None
    if status == HarvestRun.Status.FAILED and checkpointed:
        # committed batches stay: the run reports what they wrote and keeps where they
        # ended, so it can be resumed
        progress = {**run.progress, "stage": "finished", "seconds": report.counts["seconds"]}
        run.counts = {**run.progress.get("counts", {}), "seconds": report.counts["seconds"]}
    elif status == HarvestRun.Status.CANCELLED and checkpointed:
        # what was read is written (counts say so), and the last checkpoint is kept:
        # Resume continues after it (the records after it are read again, idempotently)
        progress = {**run.progress, "stage": "finished", "seconds": report.counts["seconds"]}
    run.progress = progress
    run.save()
    cache.delete(progress_key(run.id))
    cache.delete(cancel_key(run.id))
    if status != HarvestRun.Status.FAILED:
        announce_changes(run)
    return run


_gc_lock = threading.Lock()
_gc_users = [0, None]  # harvests running in this process, the thresholds before the first
GC_YOUNG_THRESHOLD = 50_000  # allocations between young collections while harvesting


@contextlib.contextmanager
def _lean_collector():
    """Python's cyclic garbage collector tuned for a harvest, restored afterwards: the
    objects that exist when the harvest starts (Django, the app, caches: hundreds of
    thousands) are frozen out of its scans (``gc.freeze``) and young collections run
    every 50,000 allocations instead of 700. A harvest allocates millions of short-lived
    records and rows; without this, a 10,000-table harvest spent ~15% of its time in
    collections that found nothing. Reference counting frees everything as before;
    nested or concurrent harvests of one process share the setting."""
    with _gc_lock:
        if _gc_users[0] == 0:
            _gc_users[1] = gc.get_threshold()
            gc.freeze()
            young, *older = _gc_users[1]
            gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)
        _gc_users[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users[0] -= 1
            if _gc_users[0] == 0:
                gc.set_threshold(*_gc_users[1])
                gc.unfreeze()


def _report_from(progress: dict | None) -> HarvestReport:
    """A report that continues the one saved with the last committed checkpoint."""
    report = HarvestReport()
    if progress and progress.get("checkpoint") is not None:
        report.counts.update(progress.get("counts") or {})
        report.counts.pop("seconds", None)
        report.warnings = list(progress.get("warnings") or [])
        report.errors = list(progress.get("errors") or [])
    return report


class _Batches:
    """Feeds a harvester's records to the sink, one transaction per batch.

    :meth:`pump` consumes records until the end (True) or until a checkpoint comes after
    at least ``commit_every`` assets of this batch (False: the caller commits and calls
    again). Publishes live progress to the cache."""

    def __init__(self, harvester, sink: CatalogSink, run: HarvestRun, on_progress) -> None:
        self.records = iter(harvester.records())
        self.harvester, self.sink, self.run, self.on_progress = harvester, sink, run, on_progress
        self.commit_every = max(1, int(settings.MESH_HARVEST_COMMIT_EVERY))
        self.done = 0
        self.assets = sum((run.progress or {}).get("counts", {}).get(k, 0) for k in ASSET_KEYS)
        self.published = 0.0
        self.checkpoint = None
        self.watch = CancelWatch(run.id)

    def pump(self) -> bool:
        batch_assets = 0
        for record in self.records:
            if isinstance(record, Checkpoint):
                if batch_assets >= self.commit_every:
                    self.checkpoint = record.key
                    return False
                continue
            self.sink.add(record)
            self.done += 1
            if self.watch.requested():
                break  # cancelled: what was read is written, nothing more is read
            if isinstance(record, DatasetRecord | JobRecord):
                batch_assets += 1
                self.assets += 1
            if self.done % 200 == 0:
                self._publish("harvesting")
        self._publish("writing", force=True)
        return True

    def _publish(self, stage: str, force: bool = False) -> None:
        # The cache write costs milliseconds (file cache): at most a few a second.
        now = time.monotonic()
        if force or now - self.published >= PROGRESS_SECONDS:
            self.published = now
            value = {
                "done": self.done,
                "stage": stage,
                "assets": self.assets,
                "total": self.harvester.expected_total,
            }
            cache.set(progress_key(self.run.id), value, 3600)
        if self.on_progress:
            self.on_progress(self.done)

    def save_checkpoint(self, report: HarvestReport) -> None:
        """Save the checkpoint (and the report so far) on the run, in the batch's
        transaction, so a resume starts exactly after what this commit wrote."""
        self.run.progress = {
            "checkpoint": self.checkpoint,
            "counts": dict(report.counts),
            "warnings": list(report.warnings),  # copies: the report goes on growing
            "errors": list(report.errors),
            "done": self.assets,
            "total": self.harvester.expected_total,
            "stage": "harvesting",
        }
        HarvestRun.objects.filter(pk=self.run.pk).update(progress=self.run.progress)


def _attempt(
    source: Source,
    run: HarvestRun,
    report: HarvestReport,
    on_progress: ProgressCallback | None,
    attempt: int,
) -> tuple[str, int, bool]:
    """One try of a harvest: ``(status, removed, retry)``; ``retry`` is true when a
    concurrent writer won a race on a unique key (or a deadlock) and the harvest,
    idempotent, should run again (from the last committed checkpoint, if any)."""
    stale_removed = 0
    try:
        forbidden = forbidden_problems(source.kind, source.config)
        if forbidden:
            raise HarvestError("; ".join(forbidden))
        cls = harvester_class(source.kind)
        try:  # secrets may be encrypted or referenced (harvesters/vault.py)
            raw = resolve(source.config)
        except SecretError as exc:
            raise ConfigError(str(exc)) from None
        harvester = cls(cls.parse_config(raw), report)
        harvester.source, harvester.run = source, run
        resumed = (run.progress or {}).get("checkpoint") is not None
        harvester.resume_after = run.progress["checkpoint"] if resumed else None
        sink = CatalogSink(
            source,
            run,
            report,
            stream_field_lineage=getattr(harvester, "stream_field_lineage", False),
        )
        batches = _Batches(harvester, sink, run, on_progress)
        finished = False
        while not finished:
            with transaction.atomic():
                lock_source(source.id)
                finished = batches.pump()
                if not finished:  # a batch: commit it with its checkpoint
                    sink.flush_assets()
                    batches.save_checkpoint(report)
                    continue
                sink.flush()
                if batches.watch.request is not None:  # cancelled: keep what was read
                    who = batches.watch.request.get("by") or "a user"
                    report.warn(
                        "run", f"cancelled by {who} after {batches.done} records; nothing removed"
                    )
                    status = HarvestRun.Status.CANCELLED
                elif harvester.stale_removal:
                    status, stale_removed = _remove_stale(
                        source, run, report, sink.seen_urns or resumed, sink.changes
                    )
                    sink.changes.flush()
                else:  # push-based kinds (openlineage): nothing is crawled, nothing goes stale
                    status = (
                        HarvestRun.Status.PARTIAL if report.errors else HarvestRun.Status.SUCCEEDED
                    )
                transaction.on_commit(schedule_outbox_processing)
    except (IntegrityError, OperationalError) as exc:
        if attempt < WRITE_ATTEMPTS and _is_write_race(exc):
            log.info("harvest of %s lost a write race (%s); retrying", source.name, exc)
            return HarvestRun.Status.FAILED, 0, True
        log.debug("harvest of %s failed", source.name, exc_info=True)
        report.error(f"source '{source.name}'", f"unexpected {type(exc).__name__}: {exc}")
        status = HarvestRun.Status.FAILED
    except ConfigError as exc:
        report.error(f"source '{source.name}' config", str(exc))
        status = HarvestRun.Status.FAILED
    except HarvestError as exc:
        report.error(f"source '{source.name}'", str(exc))
        status = HarvestRun.Status.FAILED
    except Exception as exc:  # a bug or an unexpected fault: record it, never crash the caller
        # The one-line error goes to the run report (and the harvest command's output);
        # the traceback only to the DEBUG log, so a terminal at the default WARNING level
        # shows no stack trace (LOG_LEVEL=DEBUG shows it).
        log.debug("harvest of %s failed", source.name, exc_info=True)
        report.error(f"source '{source.name}'", f"unexpected {type(exc).__name__}: {exc}")
        status = HarvestRun.Status.FAILED
    return status, stale_removed, False


def _is_write_race(exc: Exception) -> bool:
    """Unique-key violations and deadlocks: a concurrent writer got there first."""
    if isinstance(exc, IntegrityError):
        return True
    text = str(exc).lower()
    return "deadlock" in text or "could not serialize" in text


def _remove_stale(
    source: Source,
    run: HarvestRun,
    report: HarvestReport,
    seen: set[str] | bool,
    changes: ChangeRecorder | None = None,
) -> tuple[str, int]:
    """Soft-delete what this source no longer reports, behind the fail-safe.

    Skipped (status partial, nothing removed, stale edges kept) when the run had
    per-item errors, produced nothing while the source has active assets (e.g. every
    table dropped, or the wrong database), or would remove more than
    ``MESH_STALE_REMOVAL_MAX_SHARE`` of the source's assets. A run that produces nothing
    for a source with no active assets succeeds. Returns (status, number removed).
    """
    active = AssetSource.objects.filter(source=source, removed=False)
    stale = active.exclude(last_run=run)
    if report.errors:
        report.warn("stale removal", "skipped because the run had errors")
        return HarvestRun.Status.PARTIAL, 0
    if not seen:
        if not active.exists():
            return HarvestRun.Status.SUCCEEDED, 0
        report.warn(
            "stale removal",
            f"skipped because the run produced nothing while the source has "
            f"{active.count()} active assets",
        )
        return HarvestRun.Status.PARTIAL, 0
    stale_count, total = stale.count(), active.count()
    share = settings.MESH_STALE_REMOVAL_MAX_SHARE
    if total and stale_count / total > share:
        report.warn(
            "stale removal",
            f"skipped: {stale_count} of {total} assets would be removed, more than the "
            f"fail-safe share {share:.0%}",
        )
        return HarvestRun.Status.PARTIAL, 0
    changes = changes or ChangeRecorder(run)
    _delete_stale_edges(source, run, changes)
    if not stale_count:
        return HarvestRun.Status.SUCCEEDED, 0
    stale_assets = dict(stale.values_list("asset_id", "asset__urn"))
    stale_asset_ids = list(stale_assets)
    stale.update(removed=True)
    still_reported = set(
        AssetSource.objects.filter(asset_id__in=stale_asset_ids, removed=False).values_list(
            "asset_id", flat=True
        )
    )
    gone = [a for a in stale_asset_ids if a not in still_reported]
    for asset_id, urn in stale_assets.items():
        changes.add(
            RunChange.Kind.ASSET_REMOVED,
            urn,
            asset_id,
            {"catalog_removed": asset_id not in still_reported},
        )
    now = timezone.now()
    Asset.objects.filter(id__in=gone).update(removed=True, removed_at=now)
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(topic=OutboxEvent.Topic.ASSET, key=urn, op="delete")
            for urn in Asset.objects.filter(id__in=gone).values_list("urn", flat=True)
        ]
    )
    report.counts["removed"] = len(gone)
    return HarvestRun.Status.SUCCEEDED, len(gone)


def _delete_stale_edges(source: Source, run: HarvestRun, changes: ChangeRecorder) -> None:
    """End the edges this source asserted before but not in this run (no longer true):
    they keep their row with ``valid_to`` set (history, :mod:`lineage.history`), with an
    outbox event per affected downstream asset so projections follow; each dataset-level
    edge becomes an ``edge_removed`` change. Manual edges have no origin and are never
    touched; hidings carry over to edges seen again."""
    stale = LineageEdge.objects.filter(origin=source, valid_to__isnull=True).exclude(run=run)
    for up, down, down_id, job in stale.values_list(
        "upstream__urn", "downstream__urn", "downstream_id", "job__urn"
    ).iterator(chunk_size=2000):
        changes.add(
            RunChange.Kind.EDGE_REMOVED,
            down,
            down_id,
            {"upstream": up, "downstream": down, "job": job},
        )
    urns = end_stale_edges(source, run)
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=OutboxEvent.Topic.LINEAGE, key=urn) for urn in urns]
    )
