"""Celery tasks of access: provisioning, warehouse revocation, expiry, retries, reminders.

All are idempotent and resumable: state lives in the database, so a task that dies
half-way is picked up by the next :func:`sweep` (beat entry ``access-sweep``, every
``MESH_ACCESS_SWEEP_SECONDS``), which expires grants past their end date, revokes in the
warehouse every ended grant not yet revoked there, retries failed provisioning whose
backoff has passed, resumes grants whose provisioning was lost or interrupted, and sends
reminders ``MESH_ACCESS_REMIND_DAYS`` before an end date.
"""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from access import services
from access.models import LIVE_GRANT_STATES, AccessRequest, State
from audit.services import record

LOST_AFTER_SECONDS = 60  # an approved grant whose task never ran
STUCK_AFTER_SECONDS = 15 * 60  # a provisioning run that never finished


@shared_task(name="access.tasks.provision_request")
def provision_request(request_id: int) -> str:
    """Provision one approved (or failed) grant; returns its new state."""
    req = AccessRequest.objects.filter(pk=request_id).first()
    return services.provision(req).state if req else "missing"


@shared_task(name="access.tasks.deprovision_request")
def deprovision_request(request_id: int) -> bool:
    """Revoke one ended grant in the warehouse; returns whether it is revoked there."""
    req = AccessRequest.objects.filter(pk=request_id).first()
    return services.deprovision(req).warehouse_revoked if req else True


@shared_task(name="access.tasks.sweep")
def sweep() -> dict:
    """Expire, revoke in the warehouse, retry and remind (see the module docstring).
    Returns ``{"expired", "deprovisioned", "retried", "reminded"}`` counts."""
    now = timezone.now()
    counts = {"expired": 0, "deprovisioned": 0, "retried": 0, "reminded": 0}
    due = AccessRequest.objects.filter(state__in=LIVE_GRANT_STATES, end_date__lt=now.date())
    for req in due:
        if services.expire(req).state == State.EXPIRED:
            counts["expired"] += 1
    pending = AccessRequest.objects.filter(
        state__in=[State.REVOKED, State.EXPIRED], warehouse_revoked=False
    )
    for req in pending:
        counts["deprovisioned"] += int(services.deprovision(req).warehouse_revoked)
    failed = AccessRequest.objects.filter(state=State.PROVISIONING_FAILED, next_retry_at__lte=now)
    for req in failed:
        services.provision(req)
        counts["retried"] += 1
    # approved but never provisioned (the process died before its task ran), or
    # interrupted while provisioning (not manual grants, which wait for an owner)
    lost = AccessRequest.objects.filter(
        state=State.APPROVED, updated_at__lt=now - dt.timedelta(seconds=LOST_AFTER_SECONDS)
    ) | AccessRequest.objects.filter(
        state=State.PROVISIONING,
        updated_at__lt=now - dt.timedelta(seconds=STUCK_AFTER_SECONDS),
    ).exclude(provisioner="manual")
    for req in lost:
        services.provision(req, resume=True)
        counts["retried"] += 1
    remind_before = now.date() + dt.timedelta(days=settings.MESH_ACCESS_REMIND_DAYS)
    for req in AccessRequest.objects.filter(
        state=State.ACTIVE, end_date__lte=remind_before, reminded_at__isnull=True
    ):
        AccessRequest.objects.filter(pk=req.pk).update(reminded_at=now)
        record("access.reminded", None, req, detail={"end_date": req.end_date.isoformat()})
        counts["reminded"] += 1
    return counts
