"""What a harvest run changed: its change set (diff), recorded as the run writes.

The sink (:mod:`harvesters.sink`) and the stale removal (:mod:`harvesters.runner`)
compare what they load for the upsert anyway with what the run reports, and hand the
differences to a :class:`ChangeRecorder`, which buffers rows of
:class:`harvesters.models.RunChange` and writes them in batches in the run's own
transaction (a run that rolls back leaves no change rows). After the run is saved,
:func:`announce_changes` sends :data:`harvesters.signals.run_changes_recorded`.
"""

import logging
from collections.abc import Iterator

from django.utils import timezone

from catalog.models import HarvestRun
from harvesters.bulk import TableWriter, db_datetime, db_json
from harvesters.models import RunChange
from harvesters.signals import run_changes_recorded

log = logging.getLogger(__name__)

CHANGE_COLUMNS = ("run", "kind", "urn", "asset", "detail", "breaking", "created_at")
FLUSH_AT = 1000  # buffered change rows that trigger a write
SIGNAL_PAGE = 1000  # changes per run_changes_recorded send
SIGNALLED_KINDS = (
    RunChange.Kind.ASSET_ADDED,
    RunChange.Kind.ASSET_REMOVED,
    RunChange.Kind.ASSET_CHANGED,
    RunChange.Kind.SCHEMA_CHANGED,
    RunChange.Kind.EDGE_ADDED,
    RunChange.Kind.EDGE_REMOVED,
)


def schema_diff(before: dict[str, str], after: dict[str, str], removed: list[str]) -> dict | None:
    """The ``schema_changed`` detail of one dataset, or None when nothing changed.

    ``before``/``after``: ``{column name: type}`` of the columns stored and reported
    (only reported columns with a known type are compared); ``removed``: names of the
    stored columns the source no longer reports (authoritative sources only).
    """
    added = sorted(name for name in after if name not in before)
    type_changed = sorted(
        [name, before[name], new]
        for name, new in after.items()
        if name in before and new and before[name] and new != before[name]
    )
    removed = sorted(removed)
    if not (added or removed or type_changed):
        return None
    return {
        "added": added,
        "removed": removed,
        "type_changed": type_changed,
        "breaking": bool(removed or type_changed),
    }


class ChangeRecorder:
    """Buffers a run's changes and writes them in batches (``flush``).

    ``run`` None (a sink used without a run) records nothing. Call :meth:`add` per
    change; :meth:`flush` before the transaction commits.
    """

    def __init__(self, run: HarvestRun | None) -> None:
        self.run = run
        self.rows: list[tuple] = []
        self.counts: dict[str, int] = {}
        self._writer: TableWriter | None = None

    def add(
        self, kind: str, urn: str, asset_id: int | None = None, detail: dict | None = None
    ) -> None:
        """Buffer one change (``kind`` a :class:`RunChange.Kind` value)."""
        if self.run is None:
            return
        detail = detail or {}
        self.rows.append(
            (self.run.id, str(kind), urn, asset_id, detail, bool(detail.get("breaking")), None)
        )
        self.counts[str(kind)] = self.counts.get(str(kind), 0) + 1
        if len(self.rows) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Write the buffered changes (in the caller's transaction)."""
        rows, self.rows = self.rows, []
        if not rows:
            return
        if self._writer is None:
            self._writer = TableWriter(RunChange, CHANGE_COLUMNS)
        now = db_datetime(RunChange, "created_at", timezone.now())
        self._writer.insert([(*r[:4], db_json(r[4]), r[5], now) for r in rows])


def change_dict(change: RunChange) -> dict:
    """The signal's and API's shape of one change: ``{"kind", "urn", "detail"}``."""
    return {"kind": change.kind, "urn": change.urn, "detail": change.detail}


def _pages(run: HarvestRun) -> Iterator[list[dict]]:
    last = 0
    while True:
        page = list(
            RunChange.objects.filter(run=run, kind__in=SIGNALLED_KINDS, id__gt=last)
            .order_by("id")
            .only("id", "kind", "urn", "detail")[:SIGNAL_PAGE]
        )
        if not page:
            return
        last = page[-1].id
        yield [change_dict(c) for c in page]


def announce_changes(run: HarvestRun) -> int:
    """Send :data:`harvesters.signals.run_changes_recorded` for ``run``'s stored changes
    (robustly: a failing receiver is logged, never raised). A big change set is sent in
    pages of :data:`SIGNAL_PAGE` changes, one send per page, so receivers see every
    change in bounded memory. Returns the number of changes sent (0: no send)."""
    sent = 0
    for page in _pages(run):
        for receiver, result in run_changes_recorded.send_robust(
            sender=HarvestRun, run=run, changes=page
        ):
            if isinstance(result, Exception):
                log.warning("run_changes_recorded receiver %r failed: %s", receiver, result)
        sent += len(page)
    return sent
