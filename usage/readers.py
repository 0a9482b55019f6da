"""Readers of query logs: a JSON-lines file and PostgreSQL's ``pg_stat_statements``.

Both feed :meth:`usage.aggregate.UsageAggregator.add`. Bad lines are reported per line
(``<file>:<line>``) on the run report and skipped; they never stop the harvest.
"""

import json
import os
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from harvesters.base import HarvestError
from harvesters.report import HarvestReport
from usage.aggregate import UsageAggregator

#: keys of a query-log line; ``query``, ``user`` and ``start_time`` are required
LOG_KEYS = {"query", "user", "start_time", "duration_ms", "database", "default_schema", "rows"}
REQUIRED = ("query", "user", "start_time")


def read_query_log(
    path: str, aggregator: UsageAggregator, report: HarvestReport, max_lines: int | None = None
) -> None:
    """Feed every line of the JSON-lines log at ``path`` to ``aggregator``.

    A line is an object with ``query`` (SQL text), ``user``, ``start_time`` (ISO 8601;
    its date is the usage day), optional ``duration_ms`` (number), ``database`` and
    ``default_schema`` (qualify unqualified table names), ``rows`` (integer). Reported
    per line, the rest harvested: non-UTF-8 bytes, text that is not JSON (a truncated
    line), a missing or mistyped key (errors); unknown keys (a warning, the line is
    used). A file that grows while read is read up to its size when the harvest began.
    Raises HarvestError when the file cannot be opened.
    """
    name = os.path.basename(path)
    days: dict[str, date] = {}
    try:
        size = os.path.getsize(path)
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise HarvestError(f"cannot read query log {path}: {exc.strerror or exc}") from None
    loads = json.loads
    used = 0
    with handle:
        consumed = 0
        for lineno, raw in enumerate(handle, 1):
            consumed += len(raw)
            if consumed > size:
                report.warn(name, f"the file grew while read; lines from {lineno} on are left")
                break
            if max_lines is not None and lineno > max_lines:
                report.warn(name, f"stopped after max_lines={max_lines}")
                break
            item = f"{name}:{lineno}"
            try:
                text = raw.decode()
            except UnicodeDecodeError as exc:
                report.error(item, f"not UTF-8 (bad byte at column {exc.start + 1})")
                continue
            if not text.strip():
                continue
            try:
                line = loads(text)
            except ValueError as exc:
                why = "truncated" if not text.endswith("\n") else "not JSON"
                report.error(item, f"{why}: {exc}")
                continue
            if type(line) is not dict:
                report.error(item, "not a JSON object")
                continue
            known = line.keys() <= LOG_KEYS
            if not known:
                unknown = sorted(set(line) - LOG_KEYS)
                report.warn(item, f"unknown key(s) ignored: {', '.join(unknown)}")
            complete = known and len(line) == len(LOG_KEYS)  # the common line: a fast check
            problem = "" if complete and _fine(line) else _check(line)
            if problem:
                report.error(item, problem)
                continue
            stamp = line["start_time"]
            day = days.get(stamp[:10])
            if day is None:
                try:
                    day = days[stamp[:10]] = date.fromisoformat(stamp[:10])
                except ValueError:
                    report.error(item, f"start_time {stamp[:40]!r} is not an ISO 8601 time")
                    continue
            aggregator.add(
                line["query"],
                line["user"],
                day,
                line.get("rows") or 0,
                line.get("duration_ms") or 0.0,
                line.get("database") or "",
                line.get("default_schema") or "",
                item=item,
            )
            used += 1
    report.counts["lines"] = used


def _fine(line: dict) -> bool:
    """True for a line holding every key of :data:`LOG_KEYS`, each well typed."""
    query, user, stamp = line["query"], line["user"], line["start_time"]
    rows, duration = line["rows"], line["duration_ms"]
    return (
        type(query) is str
        and type(user) is str
        and type(stamp) is str
        and query.strip() != ""
        and user.strip() != ""
        and type(rows) is int
        and rows >= 0
        and type(duration) in (int, float)
        and duration >= 0
        and type(line["database"]) is str
        and type(line["default_schema"]) is str
    )


def _check(line: dict) -> str:
    """Why a parsed line cannot be used, or ""."""
    for key in REQUIRED:
        value = line.get(key)
        if not isinstance(value, str) or not value.strip():
            return (
                f"missing key '{key}'" if value is None else f"'{key}' must be a non-empty string"
            )
    rows, duration = line.get("rows"), line.get("duration_ms")
    if rows is not None and (type(rows) is not int or rows < 0):
        return "'rows' must be a non-negative integer"
    if duration is not None and (type(duration) not in (int, float) or duration < 0):
        return "'duration_ms' must be a non-negative number"
    for key in ("database", "default_schema"):
        if line.get(key) is not None and not isinstance(line[key], str):
            return f"'{key}' must be a string"
    return ""


PGSS_QUERY = """
SELECT s.query, r.rolname, d.datname, s.calls, s.rows, s.total_exec_time
FROM pg_stat_statements s
JOIN pg_roles r ON r.oid = s.userid
JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = ANY(%s)
ORDER BY s.calls DESC
LIMIT %s
"""


def read_pg_stat_statements(
    url: str,
    aggregator: UsageAggregator,
    report: HarvestReport,
    databases: list[str] | None,
    default_schema: str,
    max_statements: int,
) -> None:
    """Feed ``pg_stat_statements`` of the server at ``url`` (``postgresql://``, an
    optional ``+psycopg`` driver suffix is ignored) to ``aggregator``: one statement per
    (role, database, query) with its ``calls``, ``rows`` and ``total_exec_time`` (ms),
    counted on today's date (UTC; the view holds totals since its last reset).
    ``databases`` limits the databases (default: the URL's). Raises HarvestError when
    the server is unreachable or the extension is not installed in that database.
    """
    import psycopg  # the postgres extra

    dsn = url.replace("+psycopg", "", 1)
    wanted = databases or [urlsplit(dsn).path.lstrip("/") or "postgres"]
    today = datetime.now(UTC).date()
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            rows = conn.execute(PGSS_QUERY, (wanted, max_statements)).fetchall()
    except psycopg.errors.UndefinedTable:
        raise HarvestError(
            "pg_stat_statements is not installed in this database: add it to "
            "shared_preload_libraries and run CREATE EXTENSION pg_stat_statements"
        ) from None
    except psycopg.Error as exc:
        raise HarvestError(f"cannot read pg_stat_statements: {str(exc).strip()}") from None
    for query, role, database, calls, nrows, total_ms in rows:
        if not query or query.startswith("<insufficient privilege>"):
            report.counts["statements_hidden"] += calls
            continue
        aggregator.add(
            query, role, today, int(nrows or 0), float(total_ms or 0.0), database,
            default_schema, calls=int(calls), item=f"pg_stat_statements {database}/{role}",
        )  # fmt: skip
