"""``manage.py rebuild_index``: rebuild the search index from the SQL system of record."""

import time

from django.core.management.base import BaseCommand

from catalog.search.projection import SearchProjection


class Command(BaseCommand):
    """Rebuild the configured search index (``settings.MESH_SEARCH``) from the database.

    The new index is written beside the live one and swapped in atomically, so searches
    keep working during the rebuild. Prints the number of documents and seconds taken.
    """

    help = "Rebuild the search index from the database (atomic swap)."

    def handle(self, **options):
        started = time.monotonic()
        written = SearchProjection().rebuild()
        self.stdout.write(
            f"rebuilt search index: {written} documents in {time.monotonic() - started:.1f} s"
        )
