"""SQL checks that sample SLIs live from a port's source through SQLAlchemy.

The connection comes from the harvest source that reported the port's asset (a ``sql``
source's ``config["url"]``, see :class:`catalog.models.Source`), so credentials live in one
place. The table is the asset's ``qualified_name`` (``<database>.<schema>.<table>``);
schema and table are quoted by the dialect. Each check stores one
:class:`~products.models.SLISample`; a failing query stores an *error sample* (``error``
set, ``good`` false), which never counts as a pass.

ODCS quality rules run as SQL: ``metric`` ``nullValues`` / ``rowCount`` /
``duplicateValues`` (``unit: percent`` supported for nullValues and duplicateValues) or
a ``query`` returning one number, compared with ``mustBe``, ``mustNotBe``,
``mustBeGreaterThan``, ``mustBeGreaterOrEqualTo``, ``mustBeLessThan``,
``mustBeLessOrEqualTo``, ``mustBeBetween`` or ``mustNotBeBetween``.

Checks only read. A rule's ``query`` must be a single SELECT/WITH query (parsed with
sqlglot in the source's dialect, :func:`read_only_query`); what runs is sqlglot's rendering
of that one statement, never the raw text. Every check runs on a read-only connection
(:func:`read_only_connection`): PostgreSQL in a ``READ ONLY`` transaction with
``default_transaction_read_only`` on, SQLite files opened ``mode=ro`` plus
``PRAGMA query_only``, DuckDB files ``read_only``, MySQL/MariaDB with ``SET SESSION
TRANSACTION READ ONLY``; other dialects rely on the statement check. The transaction is
rolled back, never committed.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from urllib.parse import quote

import sqlalchemy as sa
import sqlglot
from django.utils import timezone
from sqlglot import exp

from catalog.models import AssetSource, QualityResult
from harvesters.sqlparsing.dialects import sqlglot_dialect
from harvesters.vault import SecretError, resolve
from products.freshness import sample_after_harvest, sample_slo
from products.models import SLO, SLIKind, SLISample
from products.slo import record_sample

log = logging.getLogger(__name__)


class CheckError(Exception):
    """The check could not be measured (no connection, bad column, failing query)."""


def has_sql_source(port) -> bool:
    """Whether ``port`` (an OutputPort or None) is bound to an asset that a ``sql`` source
    reported (and still reports): only then can a live ``max(column)`` check run."""
    asset_id = getattr(port, "asset_id", None)
    return asset_id is not None and (
        AssetSource.objects.filter(asset_id=asset_id, source__kind="sql", removed=False).exists()
    )


def missing_column_problem(kind: str | None, column: str | None, port) -> str | None:
    """Why an SLO of ``kind`` on ``port`` needs the ``column`` it lacks, or None: a
    completeness SLO always needs one; a freshness SLO only when the port's asset comes
    from a ``sql`` source (:func:`has_sql_source`), since other ports are sampled from
    harvested times (lake last-modified, dbt run, OpenLineage run). Shared by the SLO form
    and the API serializer."""
    if column:
        return None
    if kind == SLIKind.COMPLETENESS:
        return "a completeness SLO needs a column"
    if kind == SLIKind.FRESHNESS and has_sql_source(port):
        return (
            "a freshness SLO needs a column: the port's asset comes from a SQL source, so "
            "name the timestamp column of the live max() check"
        )
    return None


def connection_url(slo: SLO) -> str:
    """SQLAlchemy URL of the source that reported the port's asset; CheckError if none."""
    asset = slo.port.asset
    if asset is None:
        raise CheckError(f"port '{slo.port.name}' is not bound to a harvested asset")
    link = (
        AssetSource.objects.filter(asset=asset, source__kind="sql", removed=False)
        .select_related("source")
        .first()
    )
    if link is None or not link.source.config.get("url"):
        raise CheckError(f"no SQL source with a URL reported {asset.urn}")
    try:  # secrets may be encrypted or referenced (harvesters.vault)
        return resolve(link.source.config)["url"]
    except SecretError as exc:
        raise CheckError(f"source '{link.source.name}': {exc}") from None


def table_ref(slo: SLO, engine) -> str:
    """Quoted ``schema.table`` of the port's asset for ``engine``'s dialect."""
    quote = engine.dialect.identifier_preparer.quote
    parts = slo.port.asset.qualified_name.split(".")
    return ".".join(quote(p) for p in parts[-2:])


def _to_datetime(value) -> datetime:
    """A DB max() result (datetime, date, ISO string) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise CheckError(f"max() returned {value!r}, not a timestamp")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _scalar(conn, sql: str):
    return conn.execute(sa.text(sql)).scalar()


def _node_types(*names: str) -> tuple[type, ...]:
    """The sqlglot expression classes of these names that this sqlglot version defines."""
    return tuple(getattr(exp, n) for n in names if isinstance(getattr(exp, n, None), type))


# Nodes that write, lock, change the session or escape the parser, anywhere in a query.
_NOT_READING = _node_types(
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable",
    "TruncateTable", "Into", "Lock", "Command", "Copy", "Set", "Pragma", "Transaction",
    "Commit", "Rollback", "LoadData", "Use", "Analyze", "Cache", "Uncache", "Refresh",
)  # fmt: skip


def read_only_query(sql: str, dialect_name: str = "") -> str:
    """The SQL to run for a rule's ``query``: ``sql`` parsed with sqlglot in the dialect
    of the SQLAlchemy ``dialect_name`` (generic when unknown) and rendered back.

    Accepts exactly one SELECT/WITH query (set operations included). Raises CheckError
    ``"query refused: <reason>"`` for text that does not parse, empty text, several
    statements, any other statement (INSERT, DELETE, SET, COPY, ...), or a query that
    writes or locks (a data-modifying CTE, ``SELECT ... INTO``, ``FOR UPDATE``)."""
    dialect = sqlglot_dialect(dialect_name)
    try:
        statements = [s for s in sqlglot.parse(sql or "", read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise CheckError(f"query refused: it does not parse as SQL ({first})") from None
    if len(statements) != 1:
        raise CheckError(
            f"query refused: {len(statements)} statements; only one SELECT/WITH query may run"
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise CheckError(
            f"query refused: {statement.key.upper()} is not a SELECT/WITH query (checks only read)"
        )
    for node in statement.walk():
        if isinstance(node, _NOT_READING):
            raise CheckError(
                f"query refused: it contains {node.key.upper()}; a check may only read"
            )
    return statement.sql(dialect=dialect)


def _read_only_engine(url_text: str) -> sa.Engine:
    """An engine for ``url_text`` that opens files read-only (SQLite ``mode=ro`` URI,
    DuckDB ``read_only``); a missing SQLite/DuckDB file fails instead of being created."""
    url = sa.make_url(url_text)
    backend = url.get_backend_name()
    path = url.database or ""
    on_disk = bool(path) and path != ":memory:" and not path.startswith("file:")
    connect_args: dict = {}
    if backend == "sqlite" and on_disk:
        url = url.set(
            database=f"file:{quote(path)}", query={**url.query, "mode": "ro", "uri": "true"}
        )
    elif backend == "duckdb" and on_disk and "access_mode" not in url.query:
        connect_args["read_only"] = True
    return sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)


def _enter_read_only(conn) -> None:
    """Make the open connection's session and current transaction read-only."""
    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(sa.text("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"))
        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
    elif name == "sqlite":
        conn.execute(sa.text("PRAGMA query_only = ON"))
    elif name in {"mysql", "mariadb"}:
        conn.execute(sa.text("SET SESSION TRANSACTION READ ONLY"))
        conn.commit()  # the next transaction starts read-only


@contextmanager
def read_only_connection(url_text: str) -> Iterator[sa.Connection]:
    """A SQLAlchemy connection to ``url_text`` that can only read (see the module
    docstring per dialect); its transaction is rolled back and the engine disposed on
    exit. Connection errors propagate (SQLAlchemy exceptions)."""
    engine = _read_only_engine(url_text)
    try:
        with engine.connect() as conn:
            _enter_read_only(conn)
            try:
                yield conn
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def compare(value: float, rule: dict) -> bool:
    """Apply the rule's ``mustBe…`` comparator to ``value`` (no comparator: must be 0)."""
    ops = {
        "mustBe": lambda v, x: v == x,
        "mustNotBe": lambda v, x: v != x,
        "mustBeGreaterThan": lambda v, x: v > x,
        "mustBeGreaterOrEqualTo": lambda v, x: v >= x,
        "mustBeLessThan": lambda v, x: v < x,
        "mustBeLessOrEqualTo": lambda v, x: v <= x,
        "mustBeBetween": lambda v, x: x[0] <= v <= x[1],
        "mustNotBeBetween": lambda v, x: not x[0] <= v <= x[1],
    }
    for key, op in ops.items():
        if key in rule:
            return bool(op(value, rule[key]))
    return value == 0


def rule_value(conn, rule: dict, table: str, quote) -> float:
    """Measure one ODCS quality rule; CheckError for rules that cannot run as SQL and
    for a ``query`` that :func:`read_only_query` refuses."""
    if rule.get("query"):
        return float(_scalar(conn, read_only_query(rule["query"], conn.dialect.name)))
    metric = rule.get("metric")
    total = float(_scalar(conn, f"SELECT count(*) FROM {table}"))
    if metric == "rowCount":
        return total
    column = quote(rule.get("column") or "")
    if metric == "nullValues":
        count = total - float(_scalar(conn, f"SELECT count({column}) FROM {table}"))
    elif metric == "duplicateValues":
        distinct = float(_scalar(conn, f"SELECT count(DISTINCT {column}) FROM {table}"))
        count = float(_scalar(conn, f"SELECT count({column}) FROM {table}")) - distinct
    else:
        raise CheckError(f"quality rule metric {metric!r} cannot run as SQL")
    if rule.get("unit") == "percent":
        return 100.0 * count / total if total else 0.0
    return count


def measure(slo: SLO, conn, engine, now: datetime) -> float:
    """The SLI value of ``slo`` measured on an open connection (units as in the model)."""
    quote = engine.dialect.identifier_preparer.quote
    if slo.kind == SLIKind.AVAILABILITY:
        _scalar(conn, "SELECT 1")
        return 1.0
    table = table_ref(slo, engine)
    if slo.kind == SLIKind.VOLUME:
        return float(_scalar(conn, f"SELECT count(*) FROM {table}"))
    if slo.kind in (SLIKind.FRESHNESS, SLIKind.COMPLETENESS) and not slo.column:
        raise CheckError(f"a {slo.kind} SLO needs a column")
    column = quote(slo.column)
    if slo.kind == SLIKind.FRESHNESS:
        newest = _scalar(conn, f"SELECT max({column}) FROM {table}")
        if newest is None:
            raise CheckError(f"max({slo.column}) is empty: the table has no rows")
        return max(0.0, (now - _to_datetime(newest)).total_seconds())
    if slo.kind == SLIKind.COMPLETENESS:
        total, filled = conn.execute(
            sa.text(f"SELECT count(*), count({column}) FROM {table}")
        ).one()
        return (total - filled) / total if total else 0.0
    rules = slo.rules or []
    if not rules:
        return quality_pass_rate_from_results(slo)
    passed = sum(1 for rule in rules if compare(rule_value(conn, rule, table, quote), rule))
    return passed / len(rules)


def quality_pass_rate_from_results(slo: SLO) -> float:
    """Pass rate of the latest result of each check recorded for the port's asset (dbt
    tests, OpenLineage assertions); CheckError when there are none."""
    latest: dict[str, str] = {}
    for name, status in (
        QualityResult.objects.filter(asset=slo.port.asset)
        .order_by("recorded_at", "id")
        .values_list("name", "status")
    ):
        latest[name] = status
    judged = [s for s in latest.values() if s in {"pass", "fail", "warn", "error"}]
    if not judged:
        raise CheckError("no quality rules and no recorded check results for this asset")
    return sum(1 for s in judged if s == "pass") / len(judged)


def _stored_freshness(slo: SLO, now: datetime) -> SLISample | None:
    """A freshness SLO whose port has no live SQL source (a lake file, a job output known
    from OpenLineage) is sampled from the newest stored timestamp instead
    (:mod:`products.freshness`); None when a SQL source exists or nothing is stored."""
    try:
        connection_url(slo)
        return None
    except CheckError:
        return sample_slo(slo, "check", now)


def run_check(slo: SLO, now: datetime | None = None) -> SLISample:
    """Measure ``slo`` against its live source on a :func:`read_only_connection` and store
    the sample (never raises for source problems: they become an error sample, e.g.
    ``CheckError: query refused: ...``; an unreachable source gives an availability value
    of 0)."""
    now = now or timezone.now()
    try:
        if slo.kind == SLIKind.FRESHNESS:
            stored = _stored_freshness(slo, now)
            if stored is not None:
                return stored
        with read_only_connection(connection_url(slo)) as conn:
            value = measure(slo, conn, conn.engine, now)
        return record_sample(slo, value, at=now)
    except Exception as exc:  # any failure is the sample's error, never the caller's
        message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        if slo.kind == SLIKind.AVAILABILITY and not isinstance(exc, CheckError):
            return record_sample(slo, 0.0, error=message, at=now)
        return record_sample(slo, None, error=message, at=now)


def sample_from_harvest(run) -> int:
    """SLI samples a finished harvest run provides for free, for SLOs on assets of the
    run's source: volume from ``Asset.row_count``, quality from the check results
    recorded by the run, freshness from stored timestamps of the assets the run touched
    (:func:`products.freshness.sample_after_harvest`). Returns how many samples were
    stored."""
    stored = sample_after_harvest(run)
    asset_ids = AssetSource.objects.filter(source=run.source, removed=False).values("asset_id")
    origin = f"harvest:{run.source.name}"
    slos = SLO.objects.filter(enabled=True, port__asset_id__in=asset_ids).select_related(
        "port__asset"
    )
    for slo in slos:
        asset = slo.port.asset
        if slo.kind == SLIKind.VOLUME and asset.row_count is not None:
            record_sample(slo, float(asset.row_count), origin=origin)
            stored += 1
        elif (
            slo.kind == SLIKind.QUALITY
            and not slo.rules
            and QualityResult.objects.filter(asset=asset, recorded_at__gte=run.started_at).exists()
        ):
            record_sample(slo, quality_pass_rate_from_results(slo), origin=origin)
            stored += 1
    return stored
