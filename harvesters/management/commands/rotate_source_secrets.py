"""``manage.py rotate_source_secrets``: re-encrypt every source's secrets with the first key
of ``MESH_SECRETS_KEYS`` (and encrypt clear ones). Prints how many sources changed."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.models import Source
from harvesters.vault import SecretError, rotate, seal


class Command(BaseCommand):
    """Key rotation: ``MESH_SECRETS_KEYS=new,old`` then this, then drop ``old``."""

    help = "Re-encrypt source secrets with the first MESH_SECRETS_KEYS key."

    def handle(self, *args, **options):
        changed = 0
        try:
            with transaction.atomic():
                for source in Source.objects.select_for_update():
                    config = seal(rotate(source.config))
                    if config != source.config:
                        source.config = config
                        source.save(update_fields=["config"])
                        changed += 1
        except SecretError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{changed} source(s) re-encrypted")
