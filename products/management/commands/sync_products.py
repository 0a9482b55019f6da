"""``manage.py sync_products <folder> [--check]``: import ODPS/ODCS descriptors."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from products.sync import sync_folder


class Command(BaseCommand):
    """Import every ``*.odps.yaml`` / ``*.odcs.yaml`` in a folder; report created /
    updated / unchanged / invalid (with every problem). ``--check`` prints the diff and
    writes nothing. Exit status 1 when a file is invalid."""

    help = "Import ODPS data products and ODCS contracts from a folder (--check: diff only)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--check", action="store_true", help="show the diff, write nothing")

    def handle(self, *args, folder: Path, check: bool, **options):
        try:
            report = sync_folder(folder, check=check)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        for text in report["diffs"].values():
            self.stdout.write(text if text.endswith("\n") else text + "\n")
        verb = "would be " if check else ""
        for outcome in ("created", "updated", "unchanged"):
            for name in report[outcome]:
                self.stdout.write(f"{verb}{outcome}: {name}")
        for bad in report["invalid"]:
            self.stderr.write(f"invalid: {bad['file']}")
            for problem in bad["problems"]:
                self.stderr.write(f"  - {problem}")
        self.stdout.write(
            f"{len(report['created'])} created, {len(report['updated'])} updated, "
            f"{len(report['unchanged'])} unchanged, {len(report['invalid'])} invalid"
            + (" (check only, nothing written)" if check else "")
        )
        if report["invalid"]:
            raise SystemExit(1)
