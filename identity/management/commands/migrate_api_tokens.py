"""``manage.py migrate_api_tokens``: move DRF tokens (stored in clear) to hashed API tokens.

Each DRF ``authtoken`` key becomes an :class:`identity.models.ApiToken` with the same key
(so clients keep working unchanged), stored as its SHA-256 digest, with every scope and
no expiry (``--days N`` sets one), named "migrated DRF token"; the clear DRF row is
deleted. Prints one line per user. Idempotent.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from identity.models import SCOPES, ApiToken, digest
from identity.signals import send_security_event


class Command(BaseCommand):
    """Migrate every DRF token; ``--days`` gives them an expiry."""

    help = "Move DRF tokens to hashed, scoped API tokens (same keys keep working)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="expire in N days")

    def handle(self, *args, days=None, **options):
        expires = timezone.now() + timedelta(days=days) if days else None
        moved = 0
        for legacy in Token.objects.select_related("user"):
            with transaction.atomic():
                if not ApiToken.objects.filter(digest=digest(legacy.key)).exists():
                    token = ApiToken.objects.create(
                        user=legacy.user,
                        name="migrated DRF token",
                        prefix=legacy.key[:6],
                        digest=digest(legacy.key),
                        scopes=list(SCOPES),
                        expires_at=expires,
                    )
                    send_security_event(
                        Command,
                        "token_created",
                        subject=f"{legacy.user.get_username()}:{token.prefix}",
                        detail={"token": token.pk, "migrated": True},
                    )
                legacy.delete()
            moved += 1
            self.stdout.write(f"{legacy.user.get_username()}: migrated")
        self.stdout.write(f"{moved} token(s) migrated")
