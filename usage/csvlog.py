"""Reader of PostgreSQL's CSV server log (``log_destination = 'csvlog'``).

Each ``LOG`` record whose message is a statement becomes one statement of its
``user_name`` in its ``database_name`` on the date of its ``log_time``:

- ``duration: 1.234 ms  statement: <sql>`` and ``duration: 1.234 ms  execute <name>:
  <sql>`` (``log_min_duration_statement``), with their duration;
- ``statement: <sql>`` and ``execute <name>: <sql>`` (``log_statement = 'all'``), whose
  duration is the session's next bare ``duration: 1.234 ms`` record (``log_duration``),
  or 0 when none follows.

``parse``/``bind`` records of the extended protocol are not statements. Column layout:
PostgreSQL 13 (23 columns) to 17 (26), see "Using CSV-Format Log Output" in the
PostgreSQL manual. Bad records are named (``<file>:<line>``) and skipped.
"""

import csv
import os
import re
from collections.abc import Iterator
from datetime import date

from harvesters.base import HarvestError
from harvesters.report import HarvestReport
from usage.aggregate import UsageAggregator

#: csvlog columns used (0-based): log_time, user_name, database_name, session_id,
#: error_severity, message
LOG_TIME, USER, DATABASE, SESSION, SEVERITY, MESSAGE = 0, 1, 2, 5, 11, 13
MIN_COLUMNS = 23
_STATEMENT = re.compile(
    r"^(?:duration: (?P<ms>[0-9.]+) ms  )?(?:statement|execute [^:]*): (?P<sql>.*)\Z", re.S
)
_DURATION = re.compile(r"^duration: (?P<ms>[0-9.]+) ms\Z")


def csvlog_files(path: str) -> list[str]:
    """``path`` itself, or the ``*.csv`` files of the directory ``path`` sorted by name
    (PostgreSQL's rotated logs sort by time). Raises HarvestError when missing."""
    if os.path.isdir(path):
        files = sorted(
            os.path.join(path, n) for n in os.listdir(path) if n.endswith(".csv")
        )  # fmt: skip
        if not files:
            raise HarvestError(f"no *.csv log in {path}")
        return files
    if not os.path.isfile(path):
        raise HarvestError(f"cannot read PostgreSQL CSV log {path}: no such file")
    return [path]


def read_pg_csvlog(
    path: str,
    aggregator: UsageAggregator,
    report: HarvestReport,
    databases: list[str] | None = None,
    default_schema: str = "public",
    max_lines: int | None = None,
) -> None:
    """Feed the statements of the CSV log file (or directory of ``*.csv`` files) at
    ``path`` to ``aggregator``; ``databases`` keeps only those databases. Reported per
    record, the rest harvested: non-UTF-8 bytes, too few columns, a bad ``log_time``, a
    truncated last record. A file that grows while read is read up to its size when the
    harvest began. Counts ``csv_records`` (read) and ``lines`` (statements used). Raises
    HarvestError when the file cannot be opened."""
    wanted = set(databases or ())
    used = records = 0
    for file in csvlog_files(path):
        name = os.path.basename(file)
        pending: dict[str, tuple] = {}  # session -> statement waiting for its duration
        try:
            size = os.path.getsize(file)
            handle = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise HarvestError(f"cannot read PostgreSQL CSV log {file}: {exc.strerror}") from None
        with handle:
            lines = _lines(handle, size, name, report, max_lines)
            reader = csv.reader(lines)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    report.error(f"{name}:{reader.line_num}", f"not a CSV record: {exc}")
                    continue
                records += 1
                item = f"{name}:{reader.line_num}"
                if len(row) < MIN_COLUMNS:
                    report.error(item, f"{len(row)} columns, a csvlog record has at least 23")
                    continue
                if any("\udc80" <= ch <= "\udcff" for field in row for ch in field):
                    report.error(item, "not UTF-8")
                    continue
                if row[SEVERITY] != "LOG" or (wanted and row[DATABASE] not in wanted):
                    continue
                message, session = row[MESSAGE], row[SESSION]
                bare = _DURATION.match(message)
                if bare:
                    if session in pending:
                        _add(aggregator, pending.pop(session), float(bare["ms"]), default_schema)
                        used += 1
                    continue
                found = _STATEMENT.match(message)
                if not found or not row[USER]:
                    continue
                try:
                    day = date.fromisoformat(row[LOG_TIME][:10])
                except ValueError:
                    report.error(item, f"log_time {row[LOG_TIME][:40]!r} is not a time")
                    continue
                if session in pending:  # the previous statement got no duration record
                    _add(aggregator, pending.pop(session), 0.0, default_schema)
                    used += 1
                statement = (found["sql"], row[USER], day, row[DATABASE], item)
                if found["ms"] is None:
                    pending[session] = statement
                else:
                    _add(aggregator, statement, float(found["ms"]), default_schema)
                    used += 1
        for statement in pending.values():
            _add(aggregator, statement, 0.0, default_schema)
            used += 1
    report.counts["csv_records"] = records
    report.counts["lines"] = used


def _add(aggregator: UsageAggregator, statement: tuple, ms: float, schema: str) -> None:
    sql, user, day, database, item = statement
    aggregator.add(sql, user, day, 0, ms, database, schema, item=item)


def _lines(handle, size: int, name: str, report: HarvestReport, max_lines) -> Iterator[str]:
    """Lines of ``handle`` (bytes, decoded with surrogate escapes for bad bytes) up to
    ``size`` bytes and ``max_lines`` lines; warns when either stops the read."""
    consumed = 0
    for lineno, raw in enumerate(handle, 1):
        consumed += len(raw)
        if consumed > size:
            report.warn(name, f"the file grew while read; lines from {lineno} on are left")
            return
        if max_lines is not None and lineno > max_lines:
            report.warn(name, f"stopped after max_lines={max_lines}")
            return
        yield raw.decode("utf-8", "surrogateescape")
