"""``manage.py rebuild_graph``: rebuild the lineage graph projection from SQL."""

from django.core.management.base import BaseCommand

from lineage.graph import get_graph_backend


class Command(BaseCommand):
    """Rebuild the configured graph store from the SQL lineage edges.

    The embedded ``sql`` backend reads the edges in place, so there is nothing to copy.
    """

    help = "Rebuild the lineage graph store from the SQL system of record."

    def handle(self, **options):
        backend = get_graph_backend()
        rebuild = getattr(backend, "rebuild", None)
        if rebuild is None:
            self.stdout.write(f"{type(backend).__name__} reads SQL directly: nothing to rebuild.")
            return
        self.stdout.write(f"rebuilt graph: {rebuild()} edges")
