"""``manage.py send_digests``: send the daily digest e-mails now (what the beat entry
``notifications-digest`` does once a day)."""

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    """Send every waiting digest; prints how many e-mails went out."""

    help = "Send the daily notification digest e-mails now."

    def handle(self, *args, **options) -> None:
        """Run :func:`notifications.services.send_digests`."""
        self.stdout.write(f"{services.send_digests()} digest e-mail(s) sent")
