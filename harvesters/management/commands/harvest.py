"""``manage.py harvest <source-name>``: run a harvest now with a progress display."""

import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.models import Source
from harvesters.base import ConfigError
from harvesters.registry import validate_source_config
from harvesters.runner import run_harvest
from harvesters.tasks import is_resumable


class Command(BaseCommand):
    """Harvest one source by name, creating or updating it when --kind/--config are given;
    ``--resume`` continues its newest run after the last committed checkpoint.

    Exit status 1 when the run failed; the run report is printed either way.
    """

    help = 'Harvest a source now. Example: harvest chinook --kind sql --config \'{"url": "sqlite:///c.db"}\''

    def add_arguments(self, parser):
        parser.add_argument("name", help="source name (a slug)")
        parser.add_argument(
            "--kind", help="harvester kind (sql, dbt, lake, ...) to create the source"
        )
        parser.add_argument("--config", help="source config as JSON (validated by the harvester)")
        parser.add_argument(
            "--resume",
            action="store_true",
            help="continue the source's newest run if it failed after committing batches "
            "(a big source killed mid-harvest), after its last checkpoint",
        )

    def handle(self, name, kind=None, config=None, verbosity=1, resume=False, **options):
        source = self._source(name, kind, config)
        run = None
        if resume:
            run = source.runs.order_by("-started_at", "-id").first()
            if run is None or not is_resumable(run):
                raise CommandError(
                    f"source '{name}' has no run to resume (its newest run did not fail "
                    "after committing batches)"
                )
            done = (run.progress or {}).get("done", 0)
            self.stdout.write(f"resuming run {run.id} after {done} assets")
        bar = tqdm(
            desc=f"harvesting {name}", unit=" records", disable=verbosity < 1, file=self.stderr._out
        )

        def on_progress(done: int) -> None:
            bar.update(done - bar.n)

        run = run_harvest(source, run, on_progress=on_progress, resume=resume)
        bar.close()
        self.stdout.write(f"run {run.id}: {run.status} in {run.duration_seconds:.2f}s")
        for key, value in sorted(run.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        for item in run.warnings:
            self.stdout.write(self.style.WARNING(f"  warning: {item['item']}: {item['message']}"))
        for item in run.errors:
            self.stdout.write(self.style.ERROR(f"  error: {item['item']}: {item['message']}"))
        if run.status == "failed":
            raise CommandError(f"harvest of '{name}' failed")

    def _source(self, name: str, kind: str | None, config: str | None) -> Source:
        source = Source.objects.filter(name=name).first()
        if kind is None and config is None:
            if source is None:
                known = ", ".join(Source.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(
                    f"no source named '{name}' (known: {known}); create it with --kind and --config"
                )
            return source
        try:
            raw = json.loads(config or "{}")
        except json.JSONDecodeError as exc:
            raise CommandError(f"--config is not valid JSON: {exc}") from None
        kind = kind or (source.kind if source else None)
        if not kind:
            raise CommandError("--kind is required to create a source")
        try:
            clean = validate_source_config(kind, raw)
        except ConfigError as exc:
            raise CommandError(f"source '{name}': {exc}") from None
        source, _ = Source.objects.update_or_create(
            name=name, defaults={"kind": kind, "config": clean}
        )
        return source
