"""The one state machine of access requests and grants, used by the UI, API and tasks.

Every transition checks who may act (:mod:`access.permissions`), checks the current
state (:class:`StateConflict`, a 409, naming it), saves and appends an audit entry in
one transaction (:func:`audit.services.record`). Provisioning and revocation in the
warehouse run after commit as Celery tasks (:mod:`access.tasks`)::

    requested → approved | denied | withdrawn
    approved → provisioning → active → expired | revoked
    provisioning → provisioning_failed → provisioning (retry, with backoff)

Errors: :class:`django.core.exceptions.ValidationError` with a ``{field: [message]}``
dict (400), :class:`django.core.exceptions.PermissionDenied` (403),
:class:`StateConflict` and :class:`DuplicateRequest` (409).
"""

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.models import (
    LIVE_GRANT_STATES,
    AccessApproval,
    AccessComment,
    AccessRequest,
    Level,
    State,
)
from access.permissions import (
    can_approve,
    can_manage_grant,
    policy_of,
    steps_of,
)
from access.provisioners import ProvisioningError, get_provisioner, provisioner_name
from access.signals import request_changed
from audit.services import record

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600


class StateConflict(Exception):
    """The request is not in a state that allows the action (HTTP 409)."""

    def __init__(self, request: AccessRequest, action: str):
        self.request = request
        self.state = request.state
        super().__init__(f"cannot {action} request {request.pk}: it is {request.state}")


class DuplicateRequest(Exception):
    """An open request for the same consumer, port and level exists (HTTP 409)."""

    def __init__(self, existing: AccessRequest):
        self.existing = existing
        super().__init__(
            f"you already have an open request ({existing.pk}) for this port and level"
        )


def max_days() -> int:
    """``MESH_ACCESS_MAX_DAYS``: the longest grant in days (default 365)."""
    return int(settings.MESH_ACCESS_MAX_DAYS)


def today() -> dt.date:
    """Today in UTC."""
    return timezone.now().date()


def check_end_date(end_date, field: str = "end_date") -> dt.date:
    """``end_date`` as a date, from today to today + max days; ValidationError naming
    ``field`` otherwise."""
    if end_date in (None, ""):
        raise ValidationError({field: ["An end date is required."]})
    if isinstance(end_date, str):
        try:
            end_date = dt.date.fromisoformat(end_date)
        except ValueError:
            raise ValidationError({field: ["Use the date format YYYY-MM-DD."]}) from None
    if end_date < today():
        raise ValidationError({field: ["The end date is in the past."]})
    cap = today() + dt.timedelta(days=max_days())
    if end_date > cap:
        raise ValidationError(
            {field: [f"The end date is beyond the {max_days()}-day limit ({cap.isoformat()})."]}
        )
    return end_date


def _snapshot(req: AccessRequest) -> dict:
    return {
        "state": req.state,
        "step": req.step,
        "end_date": req.end_date.isoformat() if req.end_date else None,
        "level": req.level,
    }


def _audit(action: str, actor, req: AccessRequest, before: dict | None, detail=None) -> None:
    record(f"access.{action}", actor, req, before=before, after=_snapshot(req), detail=detail)
    transaction.on_commit(lambda: _announce(req, action, actor))


def _announce(req: AccessRequest, action: str, actor) -> None:
    """Send :data:`access.signals.request_changed` (robustly: receivers' errors are
    logged, never raised into the transition)."""
    for receiver, result in request_changed.send_robust(
        AccessRequest, request=req, action=action, actor=actor
    ):
        if isinstance(result, Exception):
            log.error("request_changed receiver %r failed: %r", receiver, result)


def _save(req: AccessRequest, **changes) -> None:
    for key, value in changes.items():
        setattr(req, key, value)
    req.updated_at = timezone.now()
    req.save()


def _require(req: AccessRequest, states, action: str) -> None:
    if req.state not in states:
        raise StateConflict(req, action)


def _lock(req: AccessRequest) -> AccessRequest:
    """Re-read ``req`` locked for update (inside a transaction) so concurrent actions
    see each other's state."""
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("port__product__domain", "consumer")
        .get(pk=req.pk)
    )


def create_request(
    consumer,
    port,
    *,
    purpose: str,
    end_date,
    level: str = Level.READ,
    principal: str = "",
    renews: AccessRequest | None = None,
) -> AccessRequest:
    """A new request by ``consumer`` for ``port``; returns it in ``requested``.

    Raises ValidationError (purpose, end_date, level, principal), DuplicateRequest when
    an open request for (consumer, port, level) exists.
    """
    if not (consumer and consumer.is_authenticated):
        raise PermissionDenied("Sign in to request access.")
    errors = {}
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = ["A purpose is required."]
    if level not in Level.values:
        errors["level"] = [f"Unknown access level {level!r}; use read or write."]
    policy = policy_of(port)
    if level == Level.WRITE and not (policy and policy.allow_write):
        errors["level"] = ["This port does not allow write access."]
    principal = (principal or "").strip()
    if len(principal) > 128:
        errors["principal"] = ["A database role name has at most 128 characters."]
    try:
        end_date = check_end_date(end_date)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    existing = AccessRequest.objects.filter(
        consumer=consumer, port=port, level=level, state=State.REQUESTED
    ).first()
    if existing:
        raise DuplicateRequest(existing)
    steps = steps_of(policy)
    try:
        with transaction.atomic():
            req = AccessRequest.objects.create(
                consumer=consumer,
                port=port,
                level=level,
                purpose=purpose,
                end_date=end_date,
                principal=principal,
                step=0,
                step_kind=steps[0]["approvers"],
                renews=renews,
            )
            _audit(
                "requested",
                consumer,
                req,
                None,
                {
                    "purpose": purpose,
                    "port": str(port),
                    "principal": req.role,
                    "renews": renews.pk if renews else None,
                },
            )
    except IntegrityError:
        raise DuplicateRequest(
            AccessRequest.objects.get(
                consumer=consumer, port=port, level=level, state=State.REQUESTED
            )
        ) from None
    return req


def approve(req: AccessRequest, user, *, end_date=None, comment: str = "") -> AccessRequest:
    """Approve the current step, optionally shortening the end date (never extending it).
    The last step moves the request to ``approved`` and queues provisioning after commit.
    Raises PermissionDenied (not an approver of the step, or own request), StateConflict,
    ValidationError (end_date)."""
    with transaction.atomic():
        req = _lock(req)
        _require(req, [State.REQUESTED], "approve")
        if user.pk == req.consumer_id:
            raise PermissionDenied("Nobody approves their own request.")
        if not can_approve(user, req):
            raise PermissionDenied("You are not an approver of this request's current step.")
        before = _snapshot(req)
        if end_date not in (None, ""):
            end_date = check_end_date(end_date)
            if end_date > req.end_date:
                raise ValidationError(
                    {"end_date": ["An approver may shorten the end date, not extend it."]}
                )
            req.end_date = end_date
        steps = steps_of(policy_of(req.port))
        AccessApproval.objects.create(
            request=req,
            step=req.step,
            step_name=steps[min(req.step, len(steps) - 1)].get("name", ""),
            approver=user,
            end_date=req.end_date,
        )
        if comment.strip():
            AccessComment.objects.create(request=req, author=user, text=comment.strip())
        if req.step + 1 < len(steps):
            _save(req, step=req.step + 1, step_kind=steps[req.step + 1]["approvers"])
            _audit("step_approved", user, req, before, {"comment": comment.strip() or None})
            return req
        _save(
            req,
            state=State.APPROVED,
            decided_by=user,
            decided_at=timezone.now(),
            provisioner=provisioner_name(req.port),
        )
        _audit("approved", user, req, before, {"comment": comment.strip() or None})
        _queue("provision", req.pk)
    return req


def deny(req: AccessRequest, user, *, reason: str) -> AccessRequest:
    """Deny a request (reason required). Raises ValidationError, PermissionDenied,
    StateConflict."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["A reason is required to deny a request."]})
    with transaction.atomic():
        req = _lock(req)
        _require(req, [State.REQUESTED], "deny")
        if not can_approve(user, req):
            raise PermissionDenied("You are not an approver of this request.")
        before = _snapshot(req)
        _save(req, state=State.DENIED, reason=reason, decided_by=user, decided_at=timezone.now())
        _audit("denied", user, req, before, {"reason": reason})
    return req


def withdraw(req: AccessRequest, user) -> AccessRequest:
    """The consumer withdraws their open request. Raises PermissionDenied, StateConflict."""
    with transaction.atomic():
        req = _lock(req)
        if user.pk != req.consumer_id:
            raise PermissionDenied("Only the consumer may withdraw a request.")
        _require(req, [State.REQUESTED], "withdraw")
        before = _snapshot(req)
        _save(req, state=State.WITHDRAWN)
        _audit("withdrawn", user, req, before)
    return req


def comment(req: AccessRequest, user, text: str) -> AccessComment:
    """Comment on a request (the consumer or whoever may approve or manage it).
    Raises ValidationError (text), PermissionDenied."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["A comment cannot be empty."]})
    if user.pk != req.consumer_id and not (can_approve(user, req) or can_manage_grant(user, req)):
        raise PermissionDenied("Only the consumer and approvers may comment.")
    with transaction.atomic():
        note = AccessComment.objects.create(request=req, author=user, text=text)
        record("access.commented", user, req, detail={"text": text})
    return note


def provision(req: AccessRequest, *, actor=None, resume: bool = False) -> AccessRequest:
    """Execute the grant (task body; idempotent). From ``approved`` or
    ``provisioning_failed`` (and ``provisioning`` with ``resume``: a run interrupted by a
    crash): ``provisioning`` → ``active`` (or stays ``provisioning`` for the manual
    provisioner) or ``provisioning_failed`` with the backend's message and a next retry
    time (exponential backoff). Other states: returned unchanged."""
    allowed = [State.APPROVED, State.PROVISIONING_FAILED]
    if resume:
        allowed.append(State.PROVISIONING)
    with transaction.atomic():
        req = _lock(req)
        if req.state not in allowed:
            return req
        before = _snapshot(req)
        _save(req, state=State.PROVISIONING, attempts=req.attempts + 1)
        _audit("provisioning", actor, req, before, {"provisioner": req.provisioner})
    before = _snapshot(req)
    try:
        outcome = get_provisioner(req.provisioner or provisioner_name(req.port)).grant(req)
    except (ProvisioningError, ImproperlyConfigured) as exc:
        delay = min(BACKOFF_BASE_SECONDS * 2 ** (req.attempts - 1), BACKOFF_MAX_SECONDS)
        with transaction.atomic():
            _save(
                req,
                state=State.PROVISIONING_FAILED,
                last_error=str(exc),
                next_retry_at=timezone.now() + dt.timedelta(seconds=delay),
            )
            _audit(
                "provisioning_failed",
                actor,
                req,
                before,
                {"error": str(exc), "attempt": req.attempts, "retry_in_seconds": delay},
            )
        return req
    with transaction.atomic():
        if outcome.done:
            _save(
                req,
                state=State.ACTIVE,
                statements=outcome.statements,
                last_error="",
                next_retry_at=None,
                activated_at=timezone.now(),
                warehouse_revoked=False,
            )
            _audit("provisioned", actor, req, before, {"statements": outcome.statements})
        else:
            _save(req, statements=outcome.statements, last_error="", warehouse_revoked=False)
            _audit("awaiting_manual", actor, req, before, {"statements": outcome.statements})
    return req


def mark_provisioned(req: AccessRequest, user) -> AccessRequest:
    """An owner confirms a manual grant was made outside the catalog → ``active``.
    Raises PermissionDenied, StateConflict."""
    with transaction.atomic():
        req = _lock(req)
        _require(req, [State.PROVISIONING, State.PROVISIONING_FAILED], "mark as provisioned")
        if not can_manage_grant(user, req) or user.pk == req.consumer_id:
            raise PermissionDenied("Only owners of the product may confirm a manual grant.")
        before = _snapshot(req)
        _save(
            req,
            state=State.ACTIVE,
            activated_at=timezone.now(),
            last_error="",
            warehouse_revoked=False,
        )
        _audit("provisioned", user, req, before, {"statements": ["manual: confirmed by owner"]})
    return req


def retry(req: AccessRequest, user) -> AccessRequest:
    """An approver retries a failed provisioning now. Raises PermissionDenied,
    StateConflict."""
    _require(req, [State.PROVISIONING_FAILED], "retry")
    if not can_manage_grant(user, req):
        raise PermissionDenied("Only owners of the product may retry provisioning.")
    return provision(req, actor=user)


def _end(req: AccessRequest, user, state: str, action: str, detail: dict) -> AccessRequest:
    before = _snapshot(req)
    _save(
        req,
        state=state,
        ended_at=timezone.now(),
        warehouse_revoked=False,
        decided_by=user if user is not None else req.decided_by,
    )
    _audit(action, user, req, before, detail)
    _queue("deprovision", req.pk)
    return req


def revoke(req: AccessRequest, user, *, reason: str = "") -> AccessRequest:
    """Revoke a grant (owners and staff; the consumer may give up their own). The
    warehouse revoke runs after commit and is retried until done. Raises
    PermissionDenied, StateConflict."""
    with transaction.atomic():
        req = _lock(req)
        if user.pk != req.consumer_id and not can_manage_grant(user, req):
            raise PermissionDenied("Only owners of the product (or the consumer) may revoke.")
        _require(req, LIVE_GRANT_STATES, "revoke")
        return _end(req, user, State.REVOKED, "revoked", {"reason": (reason or "").strip()})


def expire(req: AccessRequest) -> AccessRequest:
    """Expire a grant whose end date has passed (task body; no-op in other states)."""
    with transaction.atomic():
        req = _lock(req)
        if req.state not in LIVE_GRANT_STATES or req.end_date >= today():
            return req
        return _end(req, None, State.EXPIRED, "expired", {"end_date": req.end_date.isoformat()})


def deprovision(req: AccessRequest) -> AccessRequest:
    """Revoke an ended grant in the warehouse (task body; idempotent). Another live grant
    of the same role, port and level keeps the privileges (nothing is revoked). On
    failure the error is kept and the expiry task retries."""
    req = AccessRequest.objects.select_related("port__product", "consumer").get(pk=req.pk)
    if req.state not in (State.REVOKED, State.EXPIRED) or req.warehouse_revoked:
        return req
    still_live = AccessRequest.objects.filter(
        port=req.port, level=req.level, state__in=LIVE_GRANT_STATES
    ).exclude(pk=req.pk)
    if any(other.role == req.role for other in still_live.select_related("consumer")):
        with transaction.atomic():
            _save(req, warehouse_revoked=True)
            record(
                "access.deprovisioned",
                None,
                req,
                detail={"statements": [], "kept_by_another_grant": True},
            )
        return req
    try:
        outcome = get_provisioner(req.provisioner or provisioner_name(req.port)).revoke(req)
    except (ProvisioningError, ImproperlyConfigured) as exc:
        with transaction.atomic():
            _save(req, last_error=str(exc))
            record("access.deprovision_failed", None, req, detail={"error": str(exc)})
        return req
    with transaction.atomic():
        _save(req, warehouse_revoked=True, last_error="")
        record("access.deprovisioned", None, req, detail={"statements": outcome.statements})
    return req


def extend(req: AccessRequest, user, *, end_date) -> AccessRequest:
    """An owner moves a live grant's end date (within the cap). Raises ValidationError,
    PermissionDenied, StateConflict."""
    end_date = check_end_date(end_date)
    with transaction.atomic():
        req = _lock(req)
        if not can_manage_grant(user, req) or user.pk == req.consumer_id:
            raise PermissionDenied("Only owners of the product may extend a grant.")
        _require(req, LIVE_GRANT_STATES, "extend")
        before = _snapshot(req)
        _save(req, end_date=end_date, reminded_at=None)
        _audit("extended", user, req, before)
    return req


def renew(req: AccessRequest, user, *, end_date, purpose: str = "") -> AccessRequest:
    """The consumer asks to keep (or regain) a grant: a new request for the same port,
    level and role with a new end date, linked to this one (``renews``); approved like
    any request. Raises PermissionDenied, StateConflict, ValidationError,
    DuplicateRequest."""
    req = AccessRequest.objects.select_related("port__product").get(pk=req.pk)
    if user.pk != req.consumer_id:
        raise PermissionDenied("Only the consumer may renew their grant.")
    _require(req, [State.ACTIVE, State.EXPIRED, State.REVOKED, State.PROVISIONING_FAILED], "renew")
    return create_request(
        user,
        req.port,
        purpose=purpose or req.purpose,
        end_date=end_date,
        level=req.level,
        principal=req.principal,
        renews=req,
    )


def _queue(task: str, pk: int) -> None:
    """Send the task ``access.tasks.<task>_request(pk)`` after the transaction commits
    (looked up by name in Celery's registry: tasks import this module, not the reverse)."""
    name = f"access.tasks.{task}_request"
    transaction.on_commit(lambda: current_app.tasks[name].delay(pk))
