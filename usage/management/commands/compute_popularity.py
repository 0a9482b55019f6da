"""``manage.py compute_popularity [--days N]``: recompute popularity scores."""

from django.core.management.base import BaseCommand

from usage.store import compute_popularity


class Command(BaseCommand):
    """Recompute every asset's popularity over the window (run daily: the window moves)."""

    help = "Recompute usage popularity scores and update the search index."

    def add_arguments(self, parser):
        """``--days N``: the window (default ``MESH_USAGE_POPULARITY_DAYS``)."""
        parser.add_argument("--days", type=int, default=None, help="window in days")

    def handle(self, *args, days=None, **options):
        """Recompute and print how many scores changed."""
        changed = compute_popularity(days=days)
        self.stdout.write(f"{changed} popularity scores changed")
