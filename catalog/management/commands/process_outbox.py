"""``manage.py process_outbox``: apply pending outbox events to the projections now."""

from django.core.management.base import BaseCommand

from catalog.outbox import process_outbox


class Command(BaseCommand):
    """Apply pending events to every projection (or one with --only); prints counts."""

    help = "Apply pending outbox events to the search index and graph projections."

    def add_arguments(self, parser):
        parser.add_argument("--only", help="projection name, e.g. search")

    def handle(self, only=None, **options):
        for name, count in process_outbox(only).items():
            self.stdout.write(f"{name}: {count} events applied")
