"""App config of ``identity``: roles, the permission module, API tokens, sign-on."""

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """The lowest layer: who a caller is and what they may do.

    Upper apps extend it through :mod:`identity.permissions` (object rules) and
    :mod:`identity.signals` (``groups_claimed``, ``security_event``)."""

    name = "identity"
    verbose_name = "Identity and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Send security events for Django's login signals; with OIDC on, discover the
        provider's endpoints."""
        from django.conf import settings

        from identity import receivers  # noqa: F401  (connects receivers)

        if getattr(settings, "MESH_OIDC_ENABLED", False):
            from identity.oidc import discover_quietly

            discover_quietly()
