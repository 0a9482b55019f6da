"""The sample sources the quickstart harvests, from ``settings.MESH_SAMPLES_DIR``."""

import time
from pathlib import Path

from catalog.models import Source
from harvesters.runner import run_harvest


def sample_source_specs(samples: Path) -> list[tuple[str, str, dict]]:
    """``(name, kind, config)`` of each sample source found under ``samples``."""
    specs = []
    chinook = samples / "chinook" / "Chinook_Sqlite.sqlite"
    if chinook.exists():
        specs.append(("chinook", "sql", {"url": f"sqlite:///{chinook}"}))
    duck = samples / "jaffle_shop" / "jaffle_shop.duckdb"
    if duck.exists():
        specs.append(
            ("jaffle-warehouse", "sql", {"url": f"duckdb:///{duck}?access_mode=read_only"})
        )
    target = samples / "jaffle_shop" / "target"
    if (target / "manifest.json").exists():
        specs.append(("jaffle-dbt", "dbt", {"target_dir": str(target)}))
    return specs


def run_row(source: Source, run, seconds: float) -> dict:
    """A quickstart summary row for one finished harvest run."""
    return {
        "source": source.name,
        "status": run.status,
        "assets": run.counts.get("datasets", 0) + run.counts.get("jobs", 0),
        "fields": run.counts.get("fields", 0),
        "lineage_edges": run.counts.get("lineage_edges", 0),
        "warnings": len(run.warnings),
        "errors": len(run.errors),
        "seconds": round(seconds, 2),
        "run_id": run.id,
        "problems": [f"{p['item']}: {p['message']}" for p in run.errors + run.warnings],
    }


def harvest_sample_sources(samples: Path, out) -> list[dict]:
    """Create (or update) the sample sources and harvest each; returns summary rows."""
    rows = []
    for name, kind, config in sample_source_specs(samples):
        source, _ = Source.objects.update_or_create(
            name=name, defaults={"kind": kind, "config": config}
        )
        started = time.monotonic()
        run = run_harvest(source)
        rows.append(run_row(source, run, time.monotonic() - started))
    return rows
