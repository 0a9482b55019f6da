"""App config for harvesters."""

from django.apps import AppConfig


class HarvestersConfig(AppConfig):
    """Harvesters app: sources, harvest runs, per-source provenance of assets."""

    name = "harvesters"
    default_auto_field = "django.db.models.BigAutoField"
