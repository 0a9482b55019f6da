"""App config for the catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Catalog app: assets, fields, tags, owners, quality results and the outbox."""

    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The API's string fields take JSON strings only (see catalog.api.strict); the
        ``in_ids`` lookup (catalog.idlists) is registered."""
        from catalog import idlists
        from catalog.api.strict import install

        install()
        idlists.install()
