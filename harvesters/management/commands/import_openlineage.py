"""``manage.py import_openlineage <file>``: load OpenLineage events from a file.

The file holds a JSON array of events or NDJSON (one event per line; blank lines are
skipped). Events follow https://openlineage.io/spec/2-0-2/OpenLineage.json and are stored
exactly as ``POST /api/v1/lineage`` stores them. Prints how many were stored, duplicates
and invalid (each invalid one with its index, 0-based, and reasons); exits with status 1
when any event was invalid.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from harvesters.kinds.openlineage.ingest import CHUNK, ingest_events
from harvesters.kinds.openlineage.validation import error, parse_json


def read_events(path: Path) -> tuple[list, dict[int, list[dict]]]:
    """(events, preset errors by index) from a JSON array or NDJSON file.

    Raises CommandError if the file cannot be read or a JSON document is not an array.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    if text.lstrip().startswith("["):
        value, errors = parse_json(text)
        if errors:
            raise CommandError(f"{path}: {errors[0]['message']}")
        return value, {}
    events, preset = [], {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value, errors = parse_json(line)
        if errors:
            preset[len(events)] = [error("$", f"line {line_no}: {errors[0]['message']}")]
        events.append(value)
    return events, preset


class Command(BaseCommand):
    """Import OpenLineage events from a JSON array or NDJSON file."""

    help = "Import OpenLineage events (JSON array or NDJSON) into the catalog."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="JSON array or NDJSON file of events")

    def handle(self, *args, **options):
        events, preset = read_events(options["file"])
        totals = {"received": 0, "created": 0, "duplicates": 0, "invalid": 0}
        invalid = []
        for start in range(0, len(events), CHUNK):
            chunk_preset = {i - start: e for i, e in preset.items() if start <= i < start + CHUNK}
            result = ingest_events(
                events[start : start + CHUNK], start_index=start, preset=chunk_preset
            )
            for key, value in result.tally().items():
                totals[key] += value
            invalid.extend(r for r in result.results if r.status not in ("created", "duplicate"))
        self.stdout.write(
            f"{totals['received']} events: {totals['created']} stored, "
            f"{totals['duplicates']} duplicates, {totals['invalid']} invalid"
        )
        for item in invalid:
            reasons = "; ".join(f"{e['path']}: {e['message']}" for e in item.errors)
            self.stdout.write(f"  event {item.index}: {item.status}: {reasons}")
        if invalid:
            raise CommandError(f"{len(invalid)} invalid event(s) not stored")
