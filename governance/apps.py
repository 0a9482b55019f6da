"""Django app config for governance: curation, business glossary, classification,
policies and scorecards (issue 15)."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Registers the curation rule with :mod:`identity.permissions`, the asset page's
    governance panel and History / Classification tabs with :mod:`catalog.pages`, and
    the harvest receiver that re-runs propagation (all lower layers' registries)."""

    name = "governance"
    verbose_name = "Governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the permission rule, page extension and signal receivers."""
        from catalog.pages import register_page_extension
        from governance import signals
        from governance.pages import GovernancePages
        from governance.permissions import register
        from governance.policies import policies
        from governance.scorecards import filter_failing
        from products.filtersets import register_product_filter

        register()
        register_product_filter(
            "failing",
            filter_failing,
            label="Failing policy",
            empty="Any (no policy filter)",
            choices=lambda: [(p.name, p.label) for p in policies()],
        )
        register_page_extension(GovernancePages())
        signals.connect()
