"""App config for lineage."""

from django.apps import AppConfig


class LineageConfig(AppConfig):
    """Lineage app: dataset-level and field-level edges, graph backends."""

    name = "lineage"
    default_auto_field = "django.db.models.BigAutoField"
