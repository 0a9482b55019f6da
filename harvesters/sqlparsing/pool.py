"""SQL lineage of many scripts at once, parsed in worker processes, results in order.

Parsing compiled SQL with sqlglot is CPU-bound pure Python (a few ms per dbt model), so a
big project is parsed by a small process pool while the harvest process writes what is
already parsed. :func:`parse_many` yields one result per job, in the jobs' order, so the
harvest is deterministic whatever the pool does. Small batches (fewer than
``MIN_PARALLEL`` jobs), a single worker, or a caller that may not start processes (a
daemonic Celery prefork child) are parsed in this process; a pool that breaks is
replaced by in-process parsing for the rest.

On Linux workers are forked (``fork``): they start in milliseconds and share the
``schema`` mapping with the harvest process instead of receiving a copy. They only run
sqlglot and never touch the inherited database connection (they end with ``os._exit``,
which closes nothing of the parent's). The garbage collector's objects are frozen
around the fork so that workers do not copy the parent's heap by collecting it.

Elsewhere ``spawn`` is used (the schema is then sent to each worker once).

Setting: ``MESH_SQL_PARSE_WORKERS`` (int; default ``min(2, CPUs available)``; ``0`` or
``1`` parses in the harvest process).
"""

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

MIN_PARALLEL = 200  # fewer jobs are parsed in-process (a pool costs ~1 s to start)
CHUNK = 50  # jobs per task sent to a worker
WINDOW = 4  # tasks in flight per worker: bounds memory held by finished results

Job = tuple[str, str | None, str | None]  # (sql, default database, default schema)
_STATE: dict = {}


@dataclass(slots=True, frozen=True)
class ParseFailure:
    """The parser raised (it should not): ``message`` is ``str()`` of the exception."""

    message: str

    def __str__(self) -> str:
        return self.message


def default_workers() -> int:
    """Worker processes to use: ``settings.MESH_SQL_PARSE_WORKERS`` or min(2, CPUs)."""
    try:
        from django.conf import settings

        configured = getattr(settings, "MESH_SQL_PARSE_WORKERS", None)
    except Exception:  # noqa: BLE001 - usable without Django settings
        configured = None
    if configured is not None:
        return max(0, int(configured))
    return min(2, len(os.sched_getaffinity(0)))


def parse_many(
    jobs: Sequence[Job], dialect: str | None, schema: dict | None, workers: int | None = None
) -> Iterator[object]:
    """Yield, for each ``(sql, default_database, default_schema)`` job in order, its
    :class:`harvesters.sqlparsing.lineage.SqlLineage` or a :class:`ParseFailure`.

    ``dialect`` and ``schema`` are as for
    :func:`harvesters.sqlparsing.lineage.parse_sql_lineage` and shared by all jobs. Never raises
    for a job's SQL; stopping the iteration early shuts the pool down.
    """
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(jobs) < MIN_PARALLEL or multiprocessing.current_process().daemon:
        yield from _parse_local(jobs, dialect, schema)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    try:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(dialect, schema),
        )
        # Workers start at the first submit, below. Unfreeze afterwards only if nobody
        # (e.g. the harvester) had frozen objects before: they unfreeze their own.
        frozen = gc.get_freeze_count() == 0
        if frozen:
            gc.freeze()
    except (OSError, ValueError, RuntimeError):
        yield from _parse_local(jobs, dialect, schema)
        return
    chunks = [jobs[start : start + CHUNK] for start in range(0, len(jobs), CHUNK)]
    pending: deque[tuple[int, Future]] = deque()
    submitted = 0
    broken = False
    try:
        for index, chunk in enumerate(chunks):
            while not broken and submitted < len(chunks) and len(pending) < WINDOW * workers:
                try:
                    pending.append((submitted, pool.submit(_parse_chunk, chunks[submitted])))
                except RuntimeError:  # pool already broken or shut down
                    broken = True
                    break
                submitted += 1
            results = None
            if pending and pending[0][0] == index:
                try:
                    results = pending.popleft()[1].result()
                except Exception:  # noqa: BLE001 - a dead worker: parse the rest here
                    broken = True
            if results is None:
                results = list(_parse_local(chunk, dialect, schema))
            if broken:
                for _, future in pending:
                    future.cancel()
                pending.clear()
                submitted = len(chunks)
            if frozen:  # every worker has started by now
                gc.unfreeze()
                frozen = False
            yield from results
    finally:
        if frozen:
            gc.unfreeze()
        pool.shutdown(wait=True, cancel_futures=True)


def _parse_local(jobs: Sequence[Job], dialect: str | None, schema: dict | None) -> Iterator:
    from harvesters.sqlparsing.lineage import parse_sql_lineage

    for sql, database, db_schema in jobs:
        try:
            yield parse_sql_lineage(
                sql,
                dialect=dialect,
                default_database=database,
                default_schema=db_schema,
                schema=schema,
            )
        except Exception as exc:  # noqa: BLE001 - reported by the caller as a warning
            yield ParseFailure(str(exc))


WORKER_GC_THRESHOLD = (50_000, 50, 100)


def _init_worker(dialect: str | None, schema: dict | None) -> None:
    _STATE["dialect"], _STATE["schema"] = dialect, schema
    # A parse allocates thousands of short-lived tree nodes; with Python's default
    # first-generation threshold (700) the cyclic collector took ~15% of the parse time.
    # The trees are still collected, in larger batches.
    gc.set_threshold(*WORKER_GC_THRESHOLD)


def _parse_chunk(chunk: Sequence[Job]) -> list:
    return list(_parse_local(chunk, _STATE.get("dialect"), _STATE.get("schema")))
