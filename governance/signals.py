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
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog.models import HarvestRun

log = logging.getLogger(__name__)
FINISHED = {HarvestRun.Status.SUCCEEDED, HarvestRun.Status.PARTIAL}


def harvest_finished(sender, instance: HarvestRun, **kwargs) -> None:
    """Classify the run's datasets and re-propagate (logged, never raised).

    With Celery workers (a broker, not eager) the work is queued after the commit as
    :func:`governance.tasks.classify_run`, so a push or harvest request does not wait for
    it (``MESH_CLASSIFY_IN_BACKGROUND``, default true); otherwise it runs here."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the classes and links too
        return
    if instance.ended_at is None or instance.status not in FINISHED:
        return
    if not getattr(settings, "MESH_CLASSIFY_ON_HARVEST", True):
        return
    from governance.classification import classify_finished_run

    if not settings.CELERY_TASK_ALWAYS_EAGER and getattr(
        settings, "MESH_CLASSIFY_IN_BACKGROUND", True
    ):
        run_id = instance.pk
        transaction.on_commit(lambda: _queue_classification(run_id))
        return
    classify_finished_run(instance)


def _queue_classification(run_id: int) -> None:
    from governance.tasks import classify_run as task

    try:
        task.delay(run_id)
    except Exception as exc:  # broker down: classify here rather than not at all
        log.warning("could not queue the classification of run %s (%s)", run_id, exc)
        from governance.classification import classify_finished_run

        run = HarvestRun.objects.filter(pk=run_id).first()
        if run is not None:
            classify_finished_run(run)


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
