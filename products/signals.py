"""Receivers: after a harvest finishes or OpenLineage runs complete, sample SLIs.

:data:`harvesters.signals.openlineage_runs_stored` is sent (robustly, after commit) by
the OpenLineage intake for each stored batch of events, with ``updates``: the batch's
:class:`harvesters.kinds.openlineage.convert.RunUpdate` list.
"""

import logging

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from catalog.models import HarvestRun
from catalog.outbox import reindex_assets
from harvesters.signals import openlineage_runs_stored
from products.links import sync_product_ownerships
from products.models import DataProduct, Domain, OutputPort, Team

log = logging.getLogger(__name__)
FINISHED = {HarvestRun.Status.SUCCEEDED, HarvestRun.Status.PARTIAL}


@receiver(post_save, sender=HarvestRun, dispatch_uid="products-harvest-finished")
def harvest_finished(sender, instance: HarvestRun, **kwargs) -> None:
    """On a finished successful/partial run: resolve port bindings, store harvest SLIs
    (volume, quality, freshness). Failures are logged, never raised into the harvest."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
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


# -- what an asset gets from the products publishing it: domain and data product facets
# in search, and the owning team as an owner (see products.links) -------------------------


def _assets_changed(asset_ids) -> None:
    ids = {i for i in asset_ids if i}
    sync_product_ownerships(ids)
    reindex_assets(ids)


@receiver(pre_save, sender=OutputPort, dispatch_uid="products-port-before-save")
def _remember_port_asset(sender, instance: OutputPort, **kwargs) -> None:
    """Keep the asset the port was bound to before this save (it may lose its facets)."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    instance._previous_asset_id = (
        sender.objects.filter(pk=instance.pk).values_list("asset_id", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=OutputPort, dispatch_uid="products-port-saved")
@receiver(post_delete, sender=OutputPort, dispatch_uid="products-port-deleted")
def port_changed(sender, instance: OutputPort, **kwargs) -> None:
    """Re-derive the port's asset (and the one it was bound to before): its product-team
    owner and its ``domain`` / ``data_product`` search facets follow the binding."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    _assets_changed({instance.asset_id, getattr(instance, "_previous_asset_id", None)})


@receiver(post_save, sender=DataProduct, dispatch_uid="products-product-saved")
def product_changed(sender, instance: DataProduct, created=False, **kwargs) -> None:
    """A renamed product, or one moved to another domain or team, re-derives its
    published assets."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    if not created:
        _assets_changed(instance.output_ports.values_list("asset_id", flat=True))


@receiver(post_save, sender=Domain, dispatch_uid="products-domain-saved")
def domain_changed(sender, instance: Domain, created=False, **kwargs) -> None:
    """A renamed domain re-indexes the assets its products publish."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    if not created:
        reindex_assets(
            OutputPort.objects.filter(product__domain=instance).values_list("asset_id", flat=True)
        )


@receiver(post_save, sender=Team, dispatch_uid="products-team-saved")
def team_changed(sender, instance: Team, created=False, **kwargs) -> None:
    """A renamed team re-derives the assets its products publish (their owner name)."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    if not created:
        _assets_changed(
            OutputPort.objects.filter(product__owner_team=instance).values_list(
                "asset_id", flat=True
            )
        )
