"""``manage.py verify_audit``: check the audit trail's hash chain."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify


class Command(BaseCommand):
    """Prints ``audit trail intact: N entries`` and exits 0, or lists each altered or
    removed entry and exits 1."""

    help = "Verify the audit trail's hash chain (altered or removed entries)."

    def handle(self, *args, **options):
        result = verify()
        if result.ok:
            self.stdout.write(f"audit trail intact: {result.checked} entries")
            return
        for line in result.problems:
            self.stderr.write(line)
        raise CommandError(f"audit trail broken: {len(result.problems)} problem(s)")
