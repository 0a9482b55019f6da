"""Writing harvested usage to the database and turning it into popularity scores."""

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from catalog.models import Asset, Field, OutboxEvent, Source
from catalog.outbox import schedule_outbox_processing
from catalog.urns import dataset_urn
from harvesters.bulk import TableWriter
from harvesters.report import HarvestReport
from usage.aggregate import TableUsage
from usage.models import (
    ColumnUsageDay,
    CoUsageDay,
    Popularity,
    QueryShape,
    QueryUsageDay,
    UsageDay,
    UserUsageDay,
)

BATCH = 2000
CHUNK_ROWS = 20_000  # rows per raw insert
DAY_MODELS = (UsageDay, ColumnUsageDay, UserUsageDay, CoUsageDay, QueryUsageDay)


@dataclass(slots=True)
class Table:
    """A table named by queries: its URN, the catalog asset (None: unknown) and the
    asset's field names by lower-cased name (the parser lower-cases names)."""

    urn: str
    asset_id: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


def resolve_tables(namespace: str, usage: TableUsage, report: HarvestReport) -> dict[str, Table]:
    """``{lower-cased table name: Table}`` for every table in ``usage``.

    A name matches an asset of ``namespace`` by qualified name, case-insensitively; a
    name with fewer than three parts also matches the one asset whose qualified name
    ends with it. Unmatched tables keep a URN built from the name and are reported
    (a warning per table, count ``tables_unknown``).
    """
    names = {t for t, _ in usage.days} | {t for pair in usage.edges for t in pair}
    names |= {e[0] for e in usage.field_edges} | {e[2] for e in usage.field_edges}
    by_name, by_suffix = {}, {}
    for asset_id, urn, qn in Asset.objects.filter(namespace=namespace, removed=False).values_list(
        "id", "urn", "qualified_name"
    ):
        lower = qn.lower()
        by_name[lower] = (asset_id, urn)
        parts = lower.split(".")
        for i in range(1, len(parts)):
            suffix = ".".join(parts[i:])
            by_suffix[suffix] = None if suffix in by_suffix else (asset_id, urn)
    tables = {}
    for name in sorted(names):
        found = by_name.get(name) or (by_suffix.get(name) if name.count(".") < 2 else None)
        if found:
            tables[name] = Table(found[1], found[0])
        else:
            tables[name] = Table(dataset_urn(namespace, name))
            report.counts["tables_unknown"] += 1
            report.warn(f"table {name}", f"not in the catalog under {namespace}; kept as unknown")
    report.counts["tables"] = len(tables)
    ids = {t.asset_id: t for t in tables.values() if t.asset_id}
    for asset_id, name in Field.objects.filter(asset_id__in=list(ids)).values_list(
        "asset_id", "name"
    ):
        ids[asset_id].fields[name.lower()] = name
    return tables


def store_usage(
    source: Source,
    usage: TableUsage,
    tables: dict[str, Table],
    now: datetime,
    report: HarvestReport | None = None,
) -> None:
    """Replace ``source``'s daily usage rows for the days ``usage`` covers, then
    recompute popularity. Days of months already rolled up to monthly rows
    (:mod:`usage.rollup`) are left out (a warning on ``report``): storing them again
    would count them twice. Runs inside the caller's transaction (the harvest's)."""
    _drop_rolled_up(source, usage, report)
    days = sorted({day for _, day in usage.days})
    for model in DAY_MODELS:
        for start in range(0, len(days), 500):
            model.objects.filter(
                source=source, monthly=False, day__in=days[start : start + 500]
            ).delete()
    shape_ids = _shape_ids(usage)

    field = UsageDay._meta.get_field("day")
    db_days = {day: field.get_db_prep_save(day, connection) for day in days}
    head = ("source", "asset", "urn", "day", "monthly")

    def base(table, day) -> tuple:
        t = tables[table]
        return (source.id, t.asset_id, t.urn, db_days[day], False)

    def write(model, columns, rows) -> None:
        # raw tuples (harvesters.bulk): bulk_create's model instances cost most of the time
        # in chunks, so the rows of a big log never sit in memory as one list
        writer, rows = TableWriter(model, head + columns), iter(rows)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            writer.insert(chunk)

    write(
        UsageDay,
        ("queries", "writes", "rows", "duration_ms", "users"),
        ((*base(*k), v[0], v[1], v[2], v[3], len(v[4])) for k, v in usage.days.items()),
    )
    write(
        ColumnUsageDay,
        ("column", "selected", "filtered", "joined"),
        (
            (*base(k[0], k[2]), tables[k[0]].fields.get(k[1].lower(), k[1])[:255], *v)
            for k, v in usage.columns.items()
        ),
    )
    write(
        UserUsageDay,
        ("user", "queries"),
        ((*base(k[0], k[1]), k[2][:255], v) for k, v in usage.users.items()),
    )
    write(
        CoUsageDay,
        ("other_urn", "other_asset", "queries"),
        (
            (*base(k[0], k[2]), tables[k[1]].urn, tables[k[1]].asset_id, v)
            for k, v in usage.co_used.items()
        ),
    )
    write(
        QueryUsageDay,
        ("shape", "queries"),
        ((*base(k[0], k[1]), shape_ids[k[2]], v) for k, v in usage.queries.items()),
    )
    # fmt: skip
    compute_popularity(now)


def _drop_rolled_up(source: Source, usage: TableUsage, report: HarvestReport | None) -> None:
    """Remove from ``usage`` the days of months ``source`` has monthly rows for."""
    rolled = set(UsageDay.objects.filter(source=source, monthly=True).values_list("day", flat=True))
    if not rolled:
        return
    skipped = sorted({d for _, d in usage.days if d.replace(day=1) in rolled})
    if not skipped:
        return
    gone = set(skipped)
    usage.days = {k: v for k, v in usage.days.items() if k[1] not in gone}
    usage.columns = {k: v for k, v in usage.columns.items() if k[2] not in gone}
    usage.users = {k: v for k, v in usage.users.items() if k[1] not in gone}
    usage.co_used = {k: v for k, v in usage.co_used.items() if k[2] not in gone}
    usage.queries = {k: v for k, v in usage.queries.items() if k[1] not in gone}
    if report is not None:
        report.counts["days_rolled_up_skipped"] += len(skipped)
        report.warn(
            "usage",
            f"{len(skipped)} day(s) from {skipped[0]} to {skipped[-1]} left out: "
            "their months are already rolled up (MESH_USAGE_RETENTION_DAYS)",
        )


def _shape_ids(usage: TableUsage) -> dict[str, int]:
    """``{fingerprint: QueryShape id}``, creating the shapes not stored yet."""
    fps = sorted(usage.shapes)
    ids: dict[str, int] = {}
    for start in range(0, len(fps), 500):
        chunk = fps[start : start + 500]
        ids.update(
            QueryShape.objects.filter(fingerprint__in=chunk).values_list("fingerprint", "id")
        )
    QueryShape.objects.bulk_create(
        [
            QueryShape(
                fingerprint=fp, text=usage.shapes[fp].text, writes=bool(usage.shapes[fp].outputs)
            )
            for fp in fps
            if fp not in ids
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    missing = [fp for fp in fps if fp not in ids]
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        ids.update(
            QueryShape.objects.filter(fingerprint__in=chunk).values_list("fingerprint", "id")
        )
    return ids


def window_start(now: datetime | None = None, days: int | None = None):
    """First day (a date) of the popularity window ending today: ``days`` (default
    ``MESH_USAGE_POPULARITY_DAYS``) days including today."""
    days = days or settings.MESH_USAGE_POPULARITY_DAYS
    return ((now or timezone.now()).date()) - timedelta(days=days - 1)


def percentiles(values: dict[int, int]) -> dict[int, float]:
    """``{key: percentile}``: the share (0–100, two decimals) of values ≤ each value, so
    the most used gets 100 and ties share a score."""
    ordered = sorted(values.values())
    n = len(ordered)
    return {k: round(100.0 * bisect.bisect_right(ordered, v) / n, 2) for k, v in values.items()}


def compute_popularity(now: datetime | None = None, days: int | None = None) -> int:
    """Recompute every asset's :class:`usage.models.Popularity` from the queries of the
    window (see :func:`window_start`) and queue an outbox event for each asset whose
    score changed, so the search index follows. Returns how many scores changed."""
    now = now or timezone.now()
    since = window_start(now, days)
    live = UsageDay.objects.filter(day__gte=since, asset__isnull=False, asset__removed=False)
    queries = dict(live.values_list("asset_id").annotate(n=Sum("queries")).filter(n__gt=0))
    users = dict(
        UserUsageDay.objects.filter(day__gte=since, asset__isnull=False)
        .values_list("asset_id")
        .annotate(n=Count("user", distinct=True))
    )
    scores = percentiles(queries) if queries else {}
    current = {a: s for a, s in Popularity.objects.values_list("asset_id", "score")}
    changed = [a for a in set(current) | set(scores) if current.get(a, 0.0) != scores.get(a, 0.0)]
    with transaction.atomic():
        gone = [a for a in current if a not in scores]
        for start in range(0, len(gone), 500):
            Popularity.objects.filter(asset_id__in=gone[start : start + 500]).delete()
        rows = [
            Popularity(
                asset_id=a, score=s, queries=queries[a], users=users.get(a, 0), computed_at=now
            )
            for a, s in scores.items()
        ]
        Popularity.objects.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["asset"],
            update_fields=["score", "queries", "users", "computed_at"],
        )
        urns = [
            urn
            for start in range(0, len(changed), 500)
            for urn in Asset.objects.filter(id__in=changed[start : start + 500]).values_list(
                "urn", flat=True
            )
        ]
        OutboxEvent.objects.bulk_create(
            [OutboxEvent(topic=OutboxEvent.Topic.ASSET, key=urn) for urn in urns], batch_size=BATCH
        )
        transaction.on_commit(schedule_outbox_processing)
    return len(changed)


def search_popularity(asset_ids) -> dict[int, dict[str, float]]:
    """Search enricher (``MESH_SEARCH_ENRICHERS``): ``{asset_id: {"popularity": score}}``
    with the percentile score (0–100) of assets that have usage in the window."""
    return {
        asset_id: {"popularity": score}
        for asset_id, score in Popularity.objects.filter(asset_id__in=list(asset_ids)).values_list(
            "asset_id", "score"
        )
    }
