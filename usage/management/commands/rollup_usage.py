"""``manage.py rollup_usage [--retention-days N]``: daily usage → monthly rows."""

from django.core.management.base import BaseCommand, CommandError

from usage.rollup import rollup_cutoff, rollup_usage


class Command(BaseCommand):
    """Roll up usage rows older than the retention window (run daily; Celery beat runs
    ``usage.tasks.rollup_usage`` once a day)."""

    help = "Roll up daily usage older than MESH_USAGE_RETENTION_DAYS into monthly rows."

    def add_arguments(self, parser):
        """``--retention-days N``: keep N days daily (default MESH_USAGE_RETENTION_DAYS)."""
        parser.add_argument("--retention-days", type=int, default=None)

    def handle(self, *args, retention_days=None, **options):
        """Roll up and print, per table, the rows before and after."""
        if retention_days is not None and retention_days < 0:
            raise CommandError("--retention-days must be 0 or more")
        cutoff = rollup_cutoff(retention_days=retention_days)
        done = rollup_usage(retention_days=retention_days)
        self.stdout.write(f"rolled up usage before {cutoff.isoformat()}")
        for table, (before, after) in sorted(done.items()):
            self.stdout.write(f"{table}: {before} daily rows -> {after} monthly rows")
