"""Quickstart step: import the sample OpenLineage events (Marquez's food_delivery demo)."""

import json
import time
from pathlib import Path

from harvesters.kinds.openlineage.ingest import ingest_events

SAMPLE = Path("openlineage") / "food_delivery.json"


def import_sample_events(samples_dir: Path, out) -> list[dict]:
    """Ingest ``<samples_dir>/openlineage/food_delivery.json``; one summary row.

    Returns ``[{source: "openlineage", status, assets, fields, lineage_edges, warnings,
    errors, seconds}]`` (``status`` succeeded, or partial when some events were invalid),
    or ``[]`` when the file is missing. ``out`` is unused (the quickstart prints rows).
    """
    path = Path(samples_dir) / SAMPLE
    if not path.exists():
        return []
    started = time.monotonic()
    events = json.loads(path.read_text())
    result = ingest_events(events)
    tally = result.tally()
    return [
        {
            "source": "openlineage",
            "status": "partial" if tally["invalid"] else "succeeded",
            "assets": result.counts.get("datasets", 0) + result.counts.get("jobs", 0),
            "fields": result.counts.get("fields", 0),
            "lineage_edges": result.counts.get("lineage_edges", 0),
            "warnings": sum(len(r.warnings) for r in result.results),
            "errors": tally["invalid"],
            "seconds": round(time.monotonic() - started, 2),
            "problems": [
                f"event {r.index}: {w}" for r in result.results for w in r.warnings + r.errors
            ],
        }
    ]
