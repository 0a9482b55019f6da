"""``manage.py classify [--source NAME] [--sample|--no-sample]``: propose data classes
for datasets (column names; values where the source opted in, or forced with
``--sample``), then re-run propagation along column lineage."""

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Asset, Source
from governance.classification import detect
from governance.models import SourceSampling
from governance.propagation import propagate


class Command(BaseCommand):
    """Detect and propagate classes; prints counts and sampling warnings."""

    help = "Propose data classes from column names (and sampled values), then propagate."

    def add_arguments(self, parser):
        parser.add_argument("--source", help="only this source's datasets")
        parser.add_argument(
            "--sample", action="store_true", help="sample values even without opt-in"
        )
        parser.add_argument("--no-sample", action="store_true", help="names only")
        parser.add_argument("--opt-in", action="store_true", help="opt --source in to sampling")

    def handle(self, *args, source=None, sample=False, no_sample=False, opt_in=False, **options):
        assets = Asset.objects.filter(kind="dataset", removed=False)
        if source:
            found = Source.objects.filter(name=source).first()
            if found is None:
                raise CommandError(f"no source named {source!r}")
            assets = assets.filter(provenance__source=found).distinct()
            if opt_in:
                SourceSampling.objects.update_or_create(source=found, defaults={"enabled": True})
        elif opt_in:
            raise CommandError("--opt-in needs --source")
        warnings: list[dict] = []
        created = detect(
            assets, sample=False if no_sample else (True if sample else None), warnings=warnings
        )
        result = propagate()
        for w in warnings:
            self.stderr.write(f"warning: {w['item']}: {w['message']}")
        self.stdout.write(
            f"{created} new proposals; {result['classes']} propagated classes, "
            f"{result['terms']} propagated terms, {result['withdrawn']} withdrawn"
        )
