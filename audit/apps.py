"""Django app config of the append-only audit trail."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Connects the receivers that record product ownership and team membership changes
    (see :mod:`audit.receivers`)."""

    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import receivers  # noqa: F401  (connects receivers)
