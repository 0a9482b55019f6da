"""Receivers: after a harvest finishes or OpenLineage runs complete, sample SLIs.

:data:`openlineage_runs_stored` is sent (robustly, after commit) by
:func:`lineage.openlineage.ingest._store` for each stored batch of events, with
``updates``: the batch's :class:`lineage.openlineage.convert.RunUpdate` list.
"""

import logging

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from harvesters.models import HarvestRun

log = logging.getLogger(__name__)
FINISHED = {HarvestRun.Status.SUCCEEDED, HarvestRun.Status.PARTIAL}

openlineage_runs_stored = Signal()
"""Sent after an OpenLineage batch commits; kwargs: ``updates`` (list of RunUpdate)."""


@receiver(post_save, sender=HarvestRun, dispatch_uid="products-harvest-finished")
def harvest_finished(sender, instance: HarvestRun, **kwargs) -> None:
    """On a finished successful/partial run: resolve port bindings, store harvest SLIs
    (volume, quality, freshness). Failures are logged, never raised into the harvest."""
    if instance.ended_at is None or instance.status not in FINISHED:
        return
    from products.checks import sample_from_harvest
    from products.odps import resolve_product_links

    try:
        resolve_product_links()
        sample_from_harvest(instance)
    except Exception:
        log.exception("product SLI sampling after harvest %s failed", instance.pk)


@receiver(openlineage_runs_stored, dispatch_uid="products-openlineage-runs")
def openlineage_runs_finished(sender, updates=(), **kwargs) -> None:
    """Freshness samples for outputs of jobs with a ``COMPLETE`` event in the batch
    (no query at all when the batch completed nothing). Failures are logged."""
    from products.freshness import sample_after_runs

    urns = {u.job_urn for u in updates if getattr(u, "event_type", "") == "COMPLETE"}
    if not urns:
        return
    try:
        sample_after_runs(urns)
    except Exception:
        log.exception("freshness sampling after OpenLineage runs failed")
