"""Celery tasks of governance: the daily scorecard snapshot (beat), classification."""

from celery import shared_task


@shared_task(name="governance.tasks.snapshot_scores")
def snapshot_scores() -> int:
    """Store today's score of every product and domain (trend); returns rows written."""
    from governance.scorecards import snapshot

    return snapshot()


@shared_task(name="governance.tasks.classify")
def classify(source_id: int | None = None) -> int:
    """Propose classes for a source's datasets (all when None) and propagate."""
    from catalog.models import Asset
    from governance.classification import detect
    from governance.propagation import propagate

    assets = Asset.objects.filter(kind="dataset", removed=False)
    if source_id is not None:
        assets = assets.filter(provenance__source_id=source_id).distinct()
    created = detect(assets)
    propagate()
    return created


@shared_task(name="governance.tasks.classify_run")
def classify_run(run_id: int) -> bool:
    """Classify the datasets of finished run ``run_id`` and propagate (queued by
    :func:`governance.signals.harvest_finished` when workers run); False when the run is
    gone."""
    from catalog.models import HarvestRun
    from governance.classification import classify_finished_run

    run = HarvestRun.objects.filter(pk=run_id).first()
    if run is None:
        return False
    classify_finished_run(run)
    return True
