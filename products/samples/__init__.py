"""Quickstart step: load the sample data products in ``products/samples/``.

The folder holds ODPS products and ODCS contracts written for the quickstart's sample
sources (jaffle_shop in domain ``sales``, Chinook in ``media-store``); see README.md
there. Runs after the harvest step, so output ports bind to the harvested assets and
their SLOs get a first live check.
"""

import time
from pathlib import Path

from products.models import SLO, Domain, OutputPort, Team
from products.odps import resolve_product_links
from products.sync import sync_folder
from products.tasks import run_slo_checks

SAMPLES = Path(__file__).resolve().parent
#: the demo's domain tree (ODPS names a product's domain but has no domain hierarchy):
#: slug → (name, parent slug, owner team name, description)
SAMPLE_DOMAINS = {
    "retail": ("Retail", None, None, "Everything we sell, in shops and online."),
    "sales": ("Sales", "retail", "Jaffle Analytics", "Orders, payments and customers."),
    "media-store": (
        "Media store",
        "retail",
        "Chinook Media Store",
        "The digital media store: tracks, customers and invoices.",
    ),
}


def _sample_domains() -> None:
    """Give the sample domains names, owner teams and a parent (creating ``retail``);
    domains an owner has already edited (a description set) are left alone."""
    for slug in SAMPLE_DOMAINS:  # parents first: the dict is ordered that way
        name, parent, team, description = SAMPLE_DOMAINS[slug]
        domain, _ = Domain.objects.get_or_create(slug=slug, defaults={"name": name})
        if domain.description:
            continue
        domain.name, domain.description = name, description
        domain.parent = Domain.objects.filter(slug=parent).first() if parent else None
        domain.owner_team = Team.objects.filter(name=team).first() if team else None
        domain.save()


def load_sample_products(samples_dir: Path, out) -> list[dict]:
    """Sync the sample descriptors and run one round of SLO checks.

    ``samples_dir`` (the shared datasets folder) is unused: the descriptors are ours and
    live next to this module. Returns one summary row ``{source, status, assets,
    fields, lineage_edges, warnings, errors, seconds}`` where ``assets`` counts output
    ports bound to harvested assets and ``warnings`` lists unbound ports.
    """
    started = time.monotonic()
    report = sync_folder(SAMPLES)
    _sample_domains()
    resolve_product_links()
    checks = run_slo_checks()
    unbound = OutputPort.objects.filter(asset__isnull=True).exclude(asset_urn="").count()
    return [
        {
            "source": "sample data products",
            "section": "data products",  # not a source: the quickstart prints it apart
            "status": "failed" if report["invalid"] else "succeeded",
            "assets": OutputPort.objects.filter(asset__isnull=False).count(),
            "fields": SLO.objects.count(),
            "lineage_edges": 0,
            "warnings": unbound + checks["errors"],
            "errors": len(report["invalid"]),
            "seconds": round(time.monotonic() - started, 2),
        }
    ]
