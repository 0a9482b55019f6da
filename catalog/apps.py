"""App config for the catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Catalog app: assets, fields, tags, owners, quality results and the outbox."""

    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The API's string fields take JSON strings only (see catalog.api.strict)."""
        from catalog.api.strict import install

        install()
