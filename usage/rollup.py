"""Daily → monthly rollup of usage older than the retention window.

Whole months only: :func:`rollup_cutoff` is the first day of the month holding
``today - MESH_USAGE_RETENTION_DAYS``, and every row dated before it (daily rows and
earlier monthly rows of the same month) becomes one monthly row per key and month
(``monthly=True``, ``day`` the first of the month) holding the sums, so totals are
preserved. ``UsageDay.users`` of a monthly row is the month's distinct users (from
:class:`usage.models.UserUsageDay`); :class:`usage.models.AssetView` monthly rows drop
the viewer (``user_key=0``).
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from usage.models import (
    AssetView,
    ColumnUsageDay,
    CoUsageDay,
    QueryUsageDay,
    UsageDay,
    UserUsageDay,
)

BATCH = 2000
#: (model, key fields, summed fields) rolled up; UsageDay first (its ``users`` are
#: counted from UserUsageDay before that is rolled up)
SPECS = (
    (UsageDay, ("source_id", "asset_id", "urn"), ("queries", "writes", "rows", "duration_ms")),
    (UserUsageDay, ("source_id", "asset_id", "urn", "user"), ("queries",)),
    (
        ColumnUsageDay,
        ("source_id", "asset_id", "urn", "column"),
        ("selected", "filtered", "joined"),
    ),
    (CoUsageDay, ("source_id", "asset_id", "urn", "other_urn", "other_asset_id"), ("queries",)),
    (QueryUsageDay, ("source_id", "asset_id", "urn", "shape_id"), ("queries",)),
    (AssetView, ("asset_id",), ("views", "clicks")),
)


def rollup_cutoff(now: datetime | None = None, retention_days: int | None = None) -> date:
    """First day kept daily: the first of the month of ``today - retention_days``
    (default ``MESH_USAGE_RETENTION_DAYS``)."""
    days = settings.MESH_USAGE_RETENTION_DAYS if retention_days is None else retention_days
    oldest = (now or timezone.now()).date() - timedelta(days=days)
    return oldest.replace(day=1)


def rollup_usage(now: datetime | None = None, retention_days: int | None = None) -> dict:
    """Roll up every usage row dated before :func:`rollup_cutoff` into monthly rows,
    one transaction per table and month. Returns ``{table: (rows before, rows after)}``
    for the tables that had rows to roll up."""
    cutoff = rollup_cutoff(now, retention_days)
    done = {}
    for model, keys, sums in SPECS:
        old = model.objects.filter(day__lt=cutoff)
        months = sorted(
            {d.replace(day=1) for d in old.filter(monthly=False).values_list("day", flat=True)}
        )
        before = after = 0
        for month in months:
            b, a = _roll_month(model, keys, sums, month)
            before, after = before + b, after + a
        if months:
            done[model._meta.db_table] = (before, after)
    return done


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _roll_month(model, keys: tuple, sums: tuple, month: date) -> tuple[int, int]:
    """Replace ``model``'s rows of ``month`` by one monthly row per key; returns
    (rows before, rows after)."""
    rows = model.objects.filter(day__gte=month, day__lt=_next_month(month))
    with transaction.atomic():
        before = rows.count()
        grouped = list(
            rows.values(*keys)
            .annotate(**{f"sum_{f}": Sum(f) for f in sums}, **_extra(model))
            .order_by(*keys)
        )
        users = {}
        if model is UsageDay:
            users = {
                (r["source_id"], r["asset_id"], r["urn"]): r["n"]
                for r in UserUsageDay.objects.filter(day__gte=month, day__lt=_next_month(month))
                .values("source_id", "asset_id", "urn")
                .annotate(n=Count("user", distinct=True))
            }
        new = []
        for g in grouped:
            values = {k: g[k] for k in keys}
            values.update({f: g[f"sum_{f}"] or 0 for f in sums})
            if model is UsageDay:
                values["users"] = users.get(tuple(g[k] for k in keys), 0)
            if model is AssetView:
                values["last_at"] = g["last"]
            new.append(model(day=month, monthly=True, **values))
        rows.delete()
        model.objects.bulk_create(new, batch_size=BATCH)
    return before, len(new)


def _extra(model) -> dict:
    return {"last": Max("last_at")} if model is AssetView else {}
