"""Read side of usage: one asset's usage over a window, and the most used assets."""

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from catalog.models import Asset
from usage.models import (
    ColumnUsageDay,
    CoUsageDay,
    Popularity,
    QueryUsageDay,
    UsageDay,
    UserUsageDay,
)
from usage.store import window_start

TOP = 10
MAX_DAYS = 365


def parse_window(value) -> int:
    """Window length in days from a query parameter: 0 (use the default) when empty;
    ValueError with a readable message unless an integer from 1 to 365."""
    if value in (None, ""):
        return 0
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"window must be a whole number of days, not {str(value)[:20]!r}"
        ) from None
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"window must be between 1 and {MAX_DAYS} days")
    return days


def asset_usage(asset: Asset, days: int | None = None) -> dict:
    """Usage of ``asset`` over the last ``days`` days (default
    ``MESH_USAGE_POPULARITY_DAYS``), all usage sources together.

    Returns ``{"urn", "window_days", "since" (date), "until" (date), "popularity"
    (0–100), "totals": {"queries", "writes", "users", "rows"}, "daily": [{"day",
    "queries", "users", "rows", "monthly"}] (days with usage, oldest first; ``monthly``:
    a rolled-up month, ``day`` its first day), "columns": [{"column",
    "selected", "filtered", "joined"}] (most used first), "top_users": [{"user",
    "queries"}], "co_used": [{"urn", "name", "known", "queries"}], "top_queries":
    [{"fingerprint", "query", "writes", "queries"}]}``; lists hold at most 10 items
    (columns: all). Six queries.
    """
    days = days or settings.MESH_USAGE_POPULARITY_DAYS
    since = window_start(days=days)
    mine = {"asset": asset, "day__gte": since}
    daily = list(
        UsageDay.objects.filter(**mine)
        .values("day", "monthly")
        .annotate(q=Sum("queries"), w=Sum("writes"), u=Sum("users"), r=Sum("rows"))
        .order_by("day")
    )
    users = list(
        UserUsageDay.objects.filter(**mine)
        .values("user")
        .annotate(n=Sum("queries"))
        .order_by("-n", "user")
    )
    columns = list(
        ColumnUsageDay.objects.filter(**mine)
        .values("column")
        .annotate(s=Sum("selected"), f=Sum("filtered"), j=Sum("joined"))
        .order_by("column")
    )
    columns.sort(key=lambda c: (-(c["s"] + c["f"] + c["j"]), c["column"]))
    co_used = list(
        CoUsageDay.objects.filter(**mine)
        .values("other_urn", "other_asset__name")
        .annotate(n=Sum("queries"))
        .order_by("-n", "other_urn")[:TOP]
    )
    queries = list(
        QueryUsageDay.objects.filter(**mine)
        .values("shape__fingerprint", "shape__text", "shape__writes")
        .annotate(n=Sum("queries"))
        .order_by("-n", "shape__fingerprint")[:TOP]
    )
    score = Popularity.objects.filter(asset=asset).values_list("score", flat=True).first()
    return {
        "urn": asset.urn,
        "window_days": days,
        "since": since,
        "until": timezone.now().date(),
        "popularity": score or 0.0,
        "totals": {
            "queries": sum(d["q"] for d in daily),
            "writes": sum(d["w"] for d in daily),
            "users": len(users),
            "rows": sum(d["r"] for d in daily),
        },
        "daily": [
            {
                "day": d["day"],
                "queries": d["q"],
                "users": d["u"],
                "rows": d["r"],
                "monthly": d["monthly"],
            }
            for d in daily
        ],
        "columns": [
            {"column": c["column"], "selected": c["s"], "filtered": c["f"], "joined": c["j"]}
            for c in columns
        ],
        "top_users": [{"user": u["user"], "queries": u["n"]} for u in users[:TOP]],
        "co_used": [
            {
                "urn": c["other_urn"],
                "name": c["other_asset__name"] or c["other_urn"].rsplit("/", 1)[-1],
                "known": c["other_asset__name"] is not None,
                "queries": c["n"],
            }
            for c in co_used
        ],
        "top_queries": [
            {
                "fingerprint": q["shape__fingerprint"],
                "query": q["shape__text"],
                "writes": q["shape__writes"],
                "queries": q["n"],
            }
            for q in queries
        ],
    }


def top_assets(
    days: int | None = None,
    platform: str = "",
    domain: str = "",
    product: str = "",
    limit: int = 20,
) -> list[dict]:
    """The most queried catalog assets over the window: ``[{"urn", "name", "platform",
    "queries", "users", "popularity"}]``, most queries first (ties by URN).

    ``platform`` filters on the asset's platform; ``domain`` (name or slug) and
    ``product`` (name or uid) on the data product whose output port publishes the asset.
    """
    from products.models import OutputPort  # products is a lower layer

    since = window_start(days=days or settings.MESH_USAGE_POPULARITY_DAYS)
    rows = UsageDay.objects.filter(day__gte=since, asset__isnull=False, asset__removed=False)
    if platform:
        rows = rows.filter(asset__platform=platform)
    if domain or product:
        ports = OutputPort.objects.exclude(asset=None)
        if domain:
            ports = ports.filter(Q(product__domain__name=domain) | Q(product__domain__slug=domain))
        if product:
            ports = ports.filter(Q(product__name=product) | Q(product__uid=product))
        rows = rows.filter(asset_id__in=ports.values("asset_id"))
    top = list(
        rows.values("asset_id", "asset__urn", "asset__name", "asset__platform")
        .annotate(n=Sum("queries"))
        .order_by("-n", "asset__urn")[:limit]
    )
    ids = [t["asset_id"] for t in top]
    users = dict(
        UserUsageDay.objects.filter(day__gte=since, asset_id__in=ids)
        .values_list("asset_id")
        .annotate(n=Count("user", distinct=True))
    )
    scores = dict(Popularity.objects.filter(asset_id__in=ids).values_list("asset_id", "score"))
    return [
        {
            "urn": t["asset__urn"],
            "name": t["asset__name"],
            "platform": t["asset__platform"],
            "queries": t["n"],
            "users": users.get(t["asset_id"], 0),
            "popularity": scores.get(t["asset_id"], 0.0),
        }
        for t in top
    ]


def port_usage(port, days: int | None = None) -> dict:
    """Usage and consumers of a data product's output ``port`` over the window:
    ``{"window_days", "asset" (Asset or None), "queries", "users", "views",
    "top_users": [{"user", "queries"}], "consumers": [DataProduct]}``. ``consumers``
    are the products with an input port reading the port's asset or naming the port's
    product as upstream; ``top_users`` the query-log users of the asset (at most 10)."""
    from products.models import DataProduct  # products is a lower layer
    from usage.catalog_usage import asset_views

    days = days or settings.MESH_USAGE_POPULARITY_DAYS
    since = window_start(days=days)
    reads = Q(input_ports__upstream_product=port.product_id)
    if port.asset_id:
        reads |= Q(input_ports__asset=port.asset_id)
    consumers = list(
        DataProduct.objects.filter(reads).exclude(pk=port.product_id).distinct().order_by("name")
    )
    out = {"window_days": days, "asset": port.asset, "queries": 0, "users": 0, "views": 0,
           "top_users": [], "consumers": consumers}  # fmt: skip
    if port.asset_id:
        mine = {"asset_id": port.asset_id, "day__gte": since}
        out["queries"] = UsageDay.objects.filter(**mine).aggregate(n=Sum("queries"))["n"] or 0
        users = list(
            UserUsageDay.objects.filter(**mine)
            .values("user")
            .annotate(n=Sum("queries"))
            .order_by("-n", "user")
        )
        out["users"] = len(users)
        out["top_users"] = [{"user": u["user"], "queries": u["n"]} for u in users[:TOP]]
        out["views"] = asset_views(port.asset, days)["views"]
    return out
