"""Cancelling harvest runs (UI and API).

A queued run is cancelled at once (its row says ``cancelled``; the task that picks it up
does nothing). A running run is asked to stop through the cache (the run row cannot be
written by another process while the harvest's transaction holds SQLite's write lock):
the runner checks the request between records, at most every
:data:`CHECK_SECONDS`, stops reading the source, writes what it read, removes nothing
(no stale removal) and ends ``cancelled``. A harvester busy inside one long step (a
slow query) stops when that step ends.
"""

import time

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from catalog.models import HarvestRun

CHECK_SECONDS = 0.5


class CancelRefused(Exception):
    """The run cannot be cancelled: ``status`` (409) and ``detail`` say why."""

    def __init__(self, detail: str, status: int = 409) -> None:
        super().__init__(detail)
        self.detail, self.status = detail, status


def cancel_key(run_id: int) -> str:
    """Cache key of the cancel request ``{"by": user name, "at": epoch seconds}``."""
    return f"mesh:harvest-cancel:{run_id}"


def cancel_requested(run_id: int) -> dict | None:
    """The cancel request of run ``run_id``, or None."""
    return cache.get(cancel_key(run_id))


def cancel_run(run: HarvestRun, by: str) -> str:
    """Cancel ``run`` on behalf of user name ``by``; returns its status afterwards:
    ``"cancelled"`` (it was queued) or ``"running"`` (asked to stop; it ends
    ``cancelled`` within moments).

    Raises :class:`CancelRefused` (409) when the run already finished.
    """
    message = f"cancelled by {by}" if by else "cancelled"
    with transaction.atomic():
        changed = HarvestRun.objects.filter(pk=run.pk, status=HarvestRun.Status.QUEUED).update(
            status=HarvestRun.Status.CANCELLED,
            ended_at=timezone.now(),
            warnings=[{"item": "run", "message": f"{message} before it started"}],
            progress={"done": 0, "stage": "finished"},
        )
    if changed:
        return HarvestRun.Status.CANCELLED
    run.refresh_from_db(fields=["status"])
    if run.status != HarvestRun.Status.RUNNING:
        raise CancelRefused(f"run {run.pk} already ended ({run.status}); nothing to cancel")
    cache.set(cancel_key(run.pk), {"by": by, "at": time.time()}, 24 * 3600)
    return HarvestRun.Status.RUNNING


class CancelWatch:
    """Asked between records by the runner: :meth:`requested` reads the cache at most
    every :data:`CHECK_SECONDS` and returns the request once made."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.next_check = 0.0
        self.request: dict | None = None

    def requested(self) -> dict | None:
        """The cancel request, if one was made (cheap: one clock read most calls)."""
        if self.request is None:
            now = time.monotonic()
            if now >= self.next_check:
                self.next_check = now + CHECK_SECONDS
                self.request = cancel_requested(self.run_id)
        return self.request
