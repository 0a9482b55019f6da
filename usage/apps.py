"""Django app config for usage metrics."""

from django.apps import AppConfig


class UsageConfig(AppConfig):
    """Registers the ``usage`` source kind with the harvesters app, the asset page and
    home page extension with the catalog, and the output port section with products
    (lower layers, extended through their registries)."""

    name = "usage"
    verbose_name = "Usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the ``usage`` kind and the asset page's Usage tab."""
        from catalog.pages import register_page_extension
        from harvesters.registry import register_kind
        from products.pages import register_port_section
        from usage import tasks  # noqa: F401  (registers the Celery tasks by name)
        from usage.pages import UsagePages

        register_kind("usage.harvester.UsageHarvester")
        register_page_extension(UsagePages())
        register_port_section("usage/_port_section.html")
