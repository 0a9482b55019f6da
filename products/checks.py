"""SQL checks that sample SLIs live from a port's source through SQLAlchemy.

The connection comes from the harvest source that reported the port's asset (a ``sql``
source's ``config["url"]``, see :mod:`harvesters.models`), so credentials live in one
place. The table is the asset's ``qualified_name`` (``<database>.<schema>.<table>``);
schema and table are quoted by the dialect. Each check stores one
:class:`~products.models.SLISample`; a failing query stores an *error sample* (``error``
set, ``good`` false), which never counts as a pass.

ODCS quality rules run as SQL: ``metric`` ``nullValues`` / ``rowCount`` /
``duplicateValues`` (``unit: percent`` supported for nullValues and duplicateValues) or
a ``query`` returning one number, compared with ``mustBe``, ``mustNotBe``,
``mustBeGreaterThan``, ``mustBeGreaterOrEqualTo``, ``mustBeLessThan``,
``mustBeLessOrEqualTo``, ``mustBeBetween`` or ``mustNotBeBetween``.
"""

import logging
from datetime import UTC, date, datetime

import sqlalchemy as sa
from django.utils import timezone

from catalog.models import QualityResult
from harvesters.models import AssetSource
from products.freshness import sample_after_harvest, sample_slo
from products.models import SLO, SLIKind, SLISample
from products.slo import record_sample

log = logging.getLogger(__name__)


class CheckError(Exception):
    """The check could not be measured (no connection, bad column, failing query)."""


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
    return link.source.config["url"]


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
    """Measure one ODCS quality rule; CheckError for rules that cannot run as SQL."""
    if rule.get("query"):
        return float(_scalar(conn, rule["query"]))
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
    """Measure ``slo`` against its live source and store the sample (never raises for
    source problems: they become an error sample; an unreachable source gives an
    availability value of 0)."""
    now = now or timezone.now()
    engine = None
    try:
        if slo.kind == SLIKind.FRESHNESS:
            stored = _stored_freshness(slo, now)
            if stored is not None:
                return stored
        engine = sa.create_engine(connection_url(slo), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            value = measure(slo, conn, engine, now)
        return record_sample(slo, value, at=now)
    except Exception as exc:  # any failure is the sample's error, never the caller's
        message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        if slo.kind == SLIKind.AVAILABILITY and not isinstance(exc, CheckError):
            return record_sample(slo, 0.0, error=message, at=now)
        return record_sample(slo, None, error=message, at=now)
    finally:
        if engine is not None:
            engine.dispose()


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
