"""Django app config for usage metrics."""

from django.apps import AppConfig


class UsageConfig(AppConfig):
    """Registers the ``usage`` source kind with the harvesters app and the Usage tab
    with the catalog's asset page (both lower layers, extended through their registries)."""

    name = "usage"
    verbose_name = "Usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the ``usage`` kind and the asset page's Usage tab."""
        from catalog.pages import register_page_extension
        from harvesters.registry import register_kind
        from usage.pages import UsagePages

        register_kind("usage.harvester.UsageHarvester")
        register_page_extension(UsagePages())
