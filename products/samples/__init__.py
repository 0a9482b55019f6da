"""Quickstart step: load the sample data products in ``products/samples/``.

The folder holds ODPS products and ODCS contracts written for the quickstart's sample
sources (jaffle_shop in domain ``sales``, Chinook in ``media-store``); see README.md
there. Runs after the harvest step, so output ports bind to the harvested assets and
their SLOs get a first live check.
"""

import time
from pathlib import Path

from products.models import SLO, OutputPort
from products.odps import resolve_product_links
from products.sync import sync_folder
from products.tasks import run_slo_checks

SAMPLES = Path(__file__).resolve().parent


def load_sample_products(samples_dir: Path, out) -> list[dict]:
    """Sync the sample descriptors and run one round of SLO checks.

    ``samples_dir`` (the shared datasets folder) is unused: the descriptors are ours and
    live next to this module. Returns one summary row ``{source, status, assets,
    fields, lineage_edges, warnings, errors, seconds}`` where ``assets`` counts output
    ports bound to harvested assets and ``warnings`` lists unbound ports.
    """
    started = time.monotonic()
    report = sync_folder(SAMPLES)
    resolve_product_links()
    checks = run_slo_checks()
    unbound = OutputPort.objects.filter(asset__isnull=True).exclude(asset_urn="").count()
    return [
        {
            "source": "sample data products",
            "status": "failed" if report["invalid"] else "succeeded",
            "assets": OutputPort.objects.filter(asset__isnull=False).count(),
            "fields": SLO.objects.count(),
            "lineage_edges": 0,
            "warnings": unbound + checks["errors"],
            "errors": len(report["invalid"]),
            "seconds": round(time.monotonic() - started, 2),
        }
    ]
