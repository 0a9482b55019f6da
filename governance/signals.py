"""Receivers of lower layers' signals (connected from ``GovernanceConfig.ready``).

After a finished harvest (``post_save`` of ``catalog.HarvestRun`` with ``ended_at``,
succeeded or partial) the source's datasets get class proposals (names; values when the
source opted in to sampling) and propagation re-runs, since lineage may have changed.
Sampling problems become warnings of the run; nothing here ever fails the harvest.

Saving or deleting a model scorecards read (:data:`SCORECARD_INPUTS`) starts a new
governance version (:func:`governance.scorecards.invalidate`): cached scorecards are
recomputed on their next read.
"""

import logging

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog.models import Asset, HarvestRun

log = logging.getLogger(__name__)
FINISHED = {HarvestRun.Status.SUCCEEDED, HarvestRun.Status.PARTIAL}


def harvest_finished(sender, instance: HarvestRun, **kwargs) -> None:
    """Classify the run's datasets and re-propagate (logged, never raised)."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the classes and links too
        return
    if instance.ended_at is None or instance.status not in FINISHED:
        return
    if not getattr(settings, "MESH_CLASSIFY_ON_HARVEST", True):
        return
    from governance.classification import detect
    from governance.propagation import propagate

    try:
        warnings: list[dict] = []
        # the datasets this run reported, not the whole source again (detect skips
        # those without live columns; no join with the columns here: read in chunks by
        # primary key, a DISTINCT over a million columns would be sorted for each chunk)
        assets = Asset.objects.filter(provenance__last_run=instance, removed=False, kind="dataset")
        detect(assets, warnings=warnings)
        propagate()
        if warnings:
            HarvestRun.objects.filter(pk=instance.pk).update(
                warnings=[*instance.warnings, *warnings][:200]
            )
    except Exception:
        log.exception("classification after harvest %s failed", instance.pk)


#: ``app_label.ModelName`` (lower case) of the rows policies read: a save or delete of
#: one invalidates the cached scorecards (SLI samples are left to the cache's TTL)
SCORECARD_INPUTS = {
    "products.team",
    "products.domain",
    "products.dataproduct",
    "products.datacontract",
    "products.outputport",
    "products.slo",
    "access.portaccesspolicy",
    "governance.columnclass",
    "governance.termlink",
    "governance.assetsensitivity",
    "catalog.harvestrun",
    "catalog.field",
    "catalog.asset",
}


def scorecard_input_changed(sender, **kwargs) -> None:
    """Invalidate the cached scorecards when ``sender`` is one of
    :data:`SCORECARD_INPUTS` (never raises: a cache outage only costs freshness)."""
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.label_lower not in SCORECARD_INPUTS:
        return
    from governance.scorecards import invalidate

    try:
        invalidate()
    except Exception:
        log.warning("could not invalidate the cached scorecards", exc_info=True)


def connect() -> None:
    """Connect the receivers."""
    for signal in (post_save, post_delete):
        signal.connect(scorecard_input_changed, dispatch_uid=f"governance-scorecards-{signal}")
    m2m_changed.connect(scorecard_input_changed, dispatch_uid="governance-scorecards-m2m")
    post_save.connect(
        harvest_finished, sender=HarvestRun, dispatch_uid="governance-harvest-finished"
    )
