"""App config for the catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Catalog app: assets, fields, tags, owners, quality results and the outbox."""

    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"
