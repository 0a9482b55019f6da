"""``manage.py seal_webhook_secrets``: seal clear webhook secrets and re-encrypt sealed
ones with the first ``MESH_SECRETS_KEYS`` key (after adding a key, or rotating)."""

from django.core.management.base import BaseCommand, CommandError

from notifications import hooksecrets
from notifications.models import Webhook


class Command(BaseCommand):
    """Seal and rotate every webhook secret; prints how many were rewritten."""

    help = "Seal clear webhook secrets and re-encrypt sealed ones with the first key."

    def handle(self, *args, **options):
        """Rewrite each webhook's secret; CommandError without ``MESH_SECRETS_KEYS``."""
        from django.conf import settings

        if not [k for k in settings.MESH_SECRETS_KEYS if k.strip()]:
            raise CommandError("MESH_SECRETS_KEYS is not set: nothing to seal with")
        changed = 0
        for hook in Webhook.objects.exclude(secret="").only("id", "secret"):
            try:
                new = hooksecrets.rotate(hook.secret)
            except Exception as exc:  # vault.SecretError or InvalidToken: name the webhook
                raise CommandError(f"webhook {hook.pk}: {exc}") from None
            if new != hook.secret:
                Webhook.objects.filter(pk=hook.pk).update(secret=new)
                changed += 1
        self.stdout.write(f"{changed} webhook secret(s) sealed or re-encrypted")
