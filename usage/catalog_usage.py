"""The catalog's own usage: asset page views and search-result clicks per day and user.

:func:`record_view` runs on every asset page view (the hot path): one upsert
(``INSERT … ON CONFLICT … DO UPDATE``, PostgreSQL and SQLite ≥ 3.24) into
:class:`usage.models.AssetView`; the viewer's opt-out is read inside the same statement.
:func:`recently_used` and :func:`popular_assets` feed the home page.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from catalog.models import Asset
from usage.models import AssetView, Popularity, UsagePreference, UserUsageDay
from usage.store import window_start

log = logging.getLogger(__name__)

_UPSERT = """
INSERT INTO {table} (asset_id, day, user_key, monthly, views, clicks, last_at)
VALUES (%s, %s, CASE WHEN EXISTS (SELECT 1 FROM {prefs} p WHERE p.user_id = %s
                                  AND p.record_views = %s) THEN 0 ELSE %s END,
        %s, 1, %s, %s)
ON CONFLICT (asset_id, day, user_key, monthly) DO UPDATE SET
  views = {table}.views + 1, clicks = {table}.clicks + excluded.clicks,
  last_at = excluded.last_at
"""


def user_key(user) -> int:
    """The ``user_key`` a view by ``user`` is recorded under before the opt-out check:
    the user id, or 0 for anonymous users or when ``MESH_USAGE_RECORD_USERS`` is off."""
    if not settings.MESH_USAGE_RECORD_USERS or not getattr(user, "is_authenticated", False):
        return 0
    return int(user.pk)


def record_view(asset_id: int, user, clicked: bool = False, now: datetime | None = None) -> bool:
    """Count one view of the asset page of ``asset_id`` by ``user`` today (UTC);
    ``clicked``: the viewer came from a search result. One statement; a user whose
    :class:`UsagePreference` says ``record_views=False`` is counted as anonymous.
    Never raises: a database error is logged and False returned (the page still renders).
    On PostgreSQL the view's transaction does not wait for its WAL flush
    (``synchronous_commit`` off for it alone): a crash may lose the last views, a page
    view never waits for the disk.
    """
    now = now or timezone.now()
    ops = connection.ops
    key = user_key(user)
    sql = _UPSERT.format(
        table=connection.ops.quote_name(AssetView._meta.db_table),
        prefs=connection.ops.quote_name(UsagePreference._meta.db_table),
    )
    params = [
        asset_id,
        ops.adapt_datefield_value(now.date()),
        key,
        False,
        key,
        False,
        1 if clicked else 0,
        ops.adapt_datetimefield_value(now),
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # a page view may be lost in a server crash: do not wait for the WAL flush
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(sql, params)
    except DatabaseError as exc:
        log.warning("asset view of %s not recorded: %s", asset_id, exc)
        return False
    return True


def records_views(user) -> bool:
    """Whether views by ``user`` are linked to them (the global setting, their
    preference, and being signed in)."""
    if not user_key(user):
        return False
    pref = UsagePreference.objects.filter(user=user).values_list("record_views", flat=True)
    return next(iter(pref), True)


def set_record_views(user, record: bool) -> None:
    """Store ``user``'s choice; opting out also makes their recorded views anonymous
    (their rows are merged into the anonymous rows of the same asset and day)."""
    with transaction.atomic():
        UsagePreference.objects.update_or_create(user=user, defaults={"record_views": record})
        if not record:
            anonymise_views(user.pk)


def anonymise_views(user_id: int) -> int:
    """Merge every :class:`AssetView` row of ``user_id`` into the anonymous row
    (``user_key=0``) of its asset, day and grain; totals are kept. Returns rows merged."""
    rows = list(AssetView.objects.filter(user_key=user_id))
    for row in rows:
        anon, _ = AssetView.objects.get_or_create(
            asset_id=row.asset_id,
            day=row.day,
            user_key=0,
            monthly=row.monthly,
            defaults={"last_at": row.last_at},
        )
        anon.views += row.views
        anon.clicks += row.clicks
        anon.last_at = max(anon.last_at, row.last_at)
        anon.save(update_fields=["views", "clicks", "last_at"])
        row.delete()
    return len(rows)


def asset_views(asset, days: int | None = None) -> dict:
    """``{"views", "clicks"}`` of ``asset``'s page over the window (default
    ``MESH_USAGE_POPULARITY_DAYS``)."""
    since = window_start(days=days)
    sums = AssetView.objects.filter(asset=asset, day__gte=since).aggregate(
        v=Sum("views"), c=Sum("clicks")
    )
    return {"views": sums["v"] or 0, "clicks": sums["c"] or 0}


def recently_used(user, limit: int = 8, recording: bool | None = None) -> list[dict]:
    """Assets ``user`` used lately, most recent first: pages they viewed (their
    :class:`AssetView` rows) and tables a query log says they queried (usage user equal
    to their username or e-mail). ``[{"asset": Asset, "at": datetime or date, "how":
    "viewed"|"queried"}]``, one entry per asset; [] when anonymous or opted out
    (``recording``: :func:`records_views` of ``user`` when the caller knows it)."""
    if not (records_views(user) if recording is None else recording):
        return []
    viewed = dict(
        AssetView.objects.filter(user_key=user.pk)
        .values_list("asset_id")
        .annotate(at=Max("last_at"))
        .order_by("-at")[: limit * 2]
    )
    names = [n for n in (user.get_username(), getattr(user, "email", "")) if n]
    queried = dict(
        UserUsageDay.objects.filter(user__in=names, asset__isnull=False)
        .values_list("asset_id")
        .annotate(at=Max("day"))
        .order_by("-at")[: limit * 2]
    )
    entries: dict[int, tuple] = {}
    tz = timezone.get_current_timezone()
    for asset_id, day in queried.items():
        at = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
        entries[asset_id] = (at, day, "queried")
    for asset_id, at in viewed.items():
        if asset_id not in entries or at >= entries[asset_id][0]:
            entries[asset_id] = (at, at, "viewed")
    order = sorted(entries, key=lambda a: (entries[a][0], a), reverse=True)[:limit]
    assets = Asset.objects.filter(id__in=order, removed=False).in_bulk()
    return [
        {"asset": assets[a], "at": entries[a][1], "how": entries[a][2]}
        for a in order
        if a in assets
    ]


def popular_assets(limit: int = 8, days: int | None = None) -> list[dict]:
    """The most popular assets: highest :class:`usage.models.Popularity` score first
    (query logs), then, for assets without query usage, the most viewed pages over the
    window. ``[{"asset", "score", "queries", "users", "views"}]``."""
    since = window_start(days=days)
    scored = list(
        Popularity.objects.filter(asset__removed=False, score__gt=0)
        .select_related("asset")
        .order_by("-score", "-queries", "asset__urn")[:limit]
    )
    ids = [p.asset_id for p in scored]
    viewed = (
        AssetView.objects.filter(day__gte=since, asset__removed=False)
        .values_list("asset_id")
        .annotate(n=Sum("views"))
        .order_by("-n", "asset_id")
    )
    views = dict(viewed.filter(asset_id__in=ids))
    out = [
        {
            "asset": p.asset,
            "score": p.score,
            "queries": p.queries,
            "users": p.users,
            "views": views.get(p.asset_id, 0),
        }
        for p in scored
    ]
    if len(out) < limit:
        extra = list(viewed.exclude(asset_id__in=ids)[: limit - len(out)])
        assets = Asset.objects.in_bulk([a for a, _ in extra])
        for asset_id, n in extra:
            out.append(
                {"asset": assets[asset_id], "score": 0.0, "queries": 0, "users": 0, "views": n}
            )
    return out
