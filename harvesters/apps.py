"""App config for harvesters."""

from django.apps import AppConfig


class HarvestersConfig(AppConfig):
    """Harvesters app: the harvest framework, the source kinds (``harvesters.kinds``),
    the sources and runs pages and API, OpenLineage intake."""

    name = "harvesters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Add what source kinds show (a dbt job's last build) to the catalog's pages."""
        from catalog.pages import register_page_extension
        from harvesters.kinds.dbt.pages import DbtPages

        register_page_extension(DbtPages())
