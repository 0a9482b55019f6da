"""Celery task: verify the audit chain (for a scheduled check)."""

from celery import shared_task

from audit.chain import verify


@shared_task(name="audit.tasks.verify_audit")
def verify_audit() -> dict:
    """Verify the chain; returns ``{"checked": n, "problems": [...]}``."""
    result = verify()
    return {"checked": result.checked, "problems": result.problems}
