"""Celery tasks: scheduled SLO checks (beat entry ``products-slo-checks`` in settings)."""

from celery import shared_task

from products.checks import run_check
from products.models import SLO


@shared_task(name="products.tasks.run_slo_checks")
def run_slo_checks() -> dict:
    """Run the SQL check of every enabled SLO whose port is bound to an asset.

    Returns ``{"checked": n, "good": n, "bad": n, "errors": n}``.
    """
    counts = {"checked": 0, "good": 0, "bad": 0, "errors": 0}
    for slo in SLO.objects.filter(enabled=True, port__asset__isnull=False).select_related(
        "port__asset"
    ):
        sample = run_check(slo)
        counts["checked"] += 1
        counts["errors" if sample.error else ("good" if sample.good else "bad")] += 1
    return counts


@shared_task(name="products.tasks.check_slo")
def check_slo(slo_id: int) -> dict:
    """Run one SLO's check now; returns the sample as ``{value, good, error}``."""
    sample = run_check(SLO.objects.select_related("port__asset").get(pk=slo_id))
    return {"value": sample.value, "good": sample.good, "error": sample.error}
