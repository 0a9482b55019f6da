"""Django app config of the append-only audit trail."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Connects the receivers that record product ownership and team membership changes
    (see :mod:`audit.receivers`)."""

    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import receivers
        from harvesters.signals import assets_restored
        from identity.signals import security_event

        # identity's security events (sign-in, failed sign-in, tokens, roles) go to the trail
        security_event.connect(receivers.on_security_event, dispatch_uid="audit-security-event")
        # an undo of a harvest run's soft deletions
        assets_restored.connect(receivers.on_assets_restored, dispatch_uid="audit-restored")
