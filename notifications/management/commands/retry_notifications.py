"""``manage.py retry_notifications``: resend due e-mail and webhook deliveries now (what
the beat entry ``notifications-retry`` does every ``MESH_NOTIFY_RETRY_SECONDS``)."""

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    """Resend due deliveries; prints the counts."""

    help = "Resend e-mail and webhook deliveries whose retry time has come."

    def handle(self, *args, **options) -> None:
        """Run :func:`notifications.services.retry_due`."""
        counts = services.retry_due()
        self.stdout.write(
            f"{counts['retried']} retried, {counts['stuck']} interrupted marked failed"
        )
