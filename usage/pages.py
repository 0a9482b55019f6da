"""What the usage app adds to the catalog's pages: the asset page's Usage tab, popularity
badge (header and search results) and column popularity (schema table); page-view
recording; "Popular" and "Recently used by you" on the home page; and the usage section
of each output port on product pages (registered with :mod:`products.pages`)."""

from django.conf import settings
from django.db.models import Sum

from catalog.pages import AssetTab, Badge, PageExtension, SchemaColumn


def popularity_badge(score: float, queries: int, users: int, days: int) -> Badge:
    """The badge of a used asset: "Popular" from ``MESH_USAGE_POPULAR_SCORE`` on, else
    "Used"; the title gives the score and counts."""
    popular = score >= settings.MESH_USAGE_POPULAR_SCORE
    return Badge(
        "Popular" if popular else "Used",
        f"popularity {score:.0f}/100: {queries} queries by {users} users in {days} days",
        "popular" if popular else "used",
    )


class UsagePages(PageExtension):
    """Asset page: a **Usage** tab on datasets (daily chart, top users, top queries,
    frequently joined with, column usage) over the popularity window, the popularity
    badge in the header and a "Usage" column in the schema table."""

    header_template = "usage/_header_popularity.html"
    home_template = "usage/_home.html"

    def tabs(self, asset, is_job: bool) -> list[AssetTab]:
        """The Usage tab, on datasets only."""
        return [] if is_job else [AssetTab("usage", "Usage", "usage/_usage_tab.html")]

    def header_context(self, asset, is_job: bool) -> dict:
        """``{"usage_badge": Badge or None}`` (one query; none on jobs)."""
        from usage.models import Popularity

        if is_job:
            return {}
        row = Popularity.objects.filter(asset=asset, score__gt=0).first()
        days = settings.MESH_USAGE_POPULARITY_DAYS
        badge = row and popularity_badge(row.score, row.queries, row.users, days)
        return {"usage_badge": badge or None}

    def asset_viewed(self, request, asset) -> None:
        """Record the view (and a search click for ``?from=search``): one upsert."""
        from usage.catalog_usage import record_view

        record_view(asset.id, request.user, clicked=request.GET.get("from") == "search")

    def tab_context(self, request, asset, tab: str) -> dict:
        """``{"usage": asset_usage(...), "page_views": {"views", "clicks"}}`` when the
        Usage tab is open (``?days=`` sets the window, 1–365)."""
        if tab != "usage":
            return {}
        from usage.catalog_usage import asset_views
        from usage.queries import asset_usage, parse_window

        try:
            days = parse_window(request.GET.get("days"))
        except ValueError:
            days = 0
        usage = asset_usage(asset, days or None)
        peak = max((d["queries"] for d in usage["daily"]), default=0) or 1
        for d in usage["daily"]:
            d["bar"] = round(100 * d["queries"] / peak)
        return {"usage": usage, "page_views": asset_views(asset, usage["window_days"])}

    def schema_columns(self, asset, fields: list) -> list[SchemaColumn]:
        """A "Usage" column: statements over the window that selected, filtered or
        joined on each column (one query; none when no column was used)."""
        from usage.models import ColumnUsageDay
        from usage.store import window_start

        days = settings.MESH_USAGE_POPULARITY_DAYS
        rows = (
            ColumnUsageDay.objects.filter(asset=asset, day__gte=window_start(days=days))
            .values("column")
            .annotate(s=Sum("selected"), f=Sum("filtered"), j=Sum("joined"))
        )
        values = {}
        for r in rows:
            total = r["s"] + r["f"] + r["j"]
            title = f"selected {r['s']}, filtered {r['f']}, joined {r['j']} times in {days} days"
            values[r["column"]] = (str(total), title)
        return [SchemaColumn("Usage", values)] if values else []

    def hit_badges(self, urns: list[str]) -> dict[str, list[Badge]]:
        """The popularity badge of each used asset among ``urns`` (one query)."""
        from usage.models import Popularity

        days = settings.MESH_USAGE_POPULARITY_DAYS
        rows = Popularity.objects.filter(asset__urn__in=urns, score__gt=0).values_list(
            "asset__urn", "score", "queries", "users"
        )
        return {urn: [popularity_badge(s, q, u, days)] for urn, s, q, u in rows}

    def home_user_context(self, request) -> dict:
        """``{"usage_popular": [...], "usage_recent": [...], "usage_records_views":
        bool}`` (see :mod:`usage.catalog_usage`)."""
        from usage.catalog_usage import popular_assets, recently_used, records_views

        recording = records_views(request.user)
        return {
            "usage_popular": popular_assets(),
            "usage_recent": recently_used(request.user, recording=recording),
            "usage_records_views": recording,
        }
