"""App config for harvesters."""

from django.apps import AppConfig


class HarvestersConfig(AppConfig):
    """Harvesters app: the harvest framework, the source kinds (``harvesters.kinds``),
    the sources and runs pages and API, OpenLineage intake."""

    name = "harvesters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Add what source kinds show (a dbt job's last build) to the catalog's pages;
        register the source rule and the ``ingest`` token scope with identity."""
        from catalog.models import Source
        from catalog.pages import register_page_extension
        from harvesters import schedules, security  # noqa: F401  (connects receivers)
        from harvesters.access import in_team
        from harvesters.api.views import HarvestNowView
        from harvesters.kinds.dbt.pages import DbtPages
        from harvesters.kinds.openlineage.api import LineageBatchView, LineageIntakeView
        from harvesters.kinds.push.api import AssetBulkView
        from identity.authentication import register_view_scope
        from identity.permissions import register_rule

        register_page_extension(DbtPages())
        # Sources (create, edit, harvest, delete) belong to staff and to the members of
        # the source's owning team (harvesters/access.py).
        register_rule(
            Source, lambda user, action, obj: obj is not None and in_team(user, obj.owner_team)
        )
        for view in (LineageIntakeView, LineageBatchView, HarvestNowView, AssetBulkView):
            register_view_scope(view, "ingest")
