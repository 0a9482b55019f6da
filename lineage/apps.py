"""App config for lineage."""

from django.apps import AppConfig


class LineageConfig(AppConfig):
    """Lineage app: dataset-level and field-level edges, OpenLineage runs, graph backends,
    lineage/impact queries, API and the asset page's lineage tabs."""

    name = "lineage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Add the lineage tabs and figures to the catalog's pages; register the rule
        of manual lineage edits (:mod:`lineage.services`)."""
        from catalog.pages import register_page_extension
        from lineage.services import register_rules
        from lineage.views import LineagePages

        register_page_extension(LineagePages())
        register_rules()
