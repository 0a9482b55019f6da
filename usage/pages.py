"""What the usage app adds to the catalog's asset page: the Usage tab."""

from catalog.pages import AssetTab, PageExtension


class UsagePages(PageExtension):
    """Asset page: a **Usage** tab on datasets (daily chart, top users, top queries,
    frequently joined with, column usage) over the popularity window."""

    def tabs(self, asset, is_job: bool) -> list[AssetTab]:
        """The Usage tab, on datasets only."""
        return [] if is_job else [AssetTab("usage", "Usage", "usage/_usage_tab.html")]

    def tab_context(self, request, asset, tab: str) -> dict:
        """``{"usage": asset_usage(...)}`` when the Usage tab is open (``?days=`` sets the
        window, 1–365)."""
        if tab != "usage":
            return {}
        from usage.queries import asset_usage, parse_window

        try:
            days = parse_window(request.GET.get("days"))
        except ValueError:
            days = 0
        usage = asset_usage(asset, days or None)
        peak = max((d["queries"] for d in usage["daily"]), default=0) or 1
        for d in usage["daily"]:
            d["bar"] = round(100 * d["queries"] / peak)
        return {"usage": usage}
