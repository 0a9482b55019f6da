"""Access pages: request form, inbox (with the header badge), My access, request detail,
the product page's per-port "who has access" section and the asset page panel.

Every POST goes through :mod:`access.services`; errors come back as messages naming
the field or the state (never a stack trace). Lists are paginated with a fixed number
of queries per page (select_related, no per-row query).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from access import services
from access.forms import RequestForm
from access.models import LIVE_GRANT_STATES, AccessRequest, State
from access.permissions import (
    can_approve,
    can_manage_grant,
    managed_requests,
    policy_of,
    to_approve,
)
from audit.services import entries_for
from products.models import OutputPort

PAGE_SIZE = 50
SELECT = ("consumer", "port__product__owner_team", "decided_by")


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You may not do this."


def _act(request, fn, *args, ok: str = "", **kwargs):
    """Run a service call, turning its errors into messages; returns the result or None."""
    try:
        result = fn(*args, **kwargs)
    except (ValidationError, PermissionDenied, services.StateConflict) as exc:
        messages.error(request, _error_text(exc))
        return None
    except services.DuplicateRequest as exc:
        messages.error(
            request,
            format_html(
                'You already have an open request for this port: <a href="/access/requests/{}/">'
                "request {}</a>.",
                exc.existing.pk,
                exc.existing.pk,
            ),
        )
        return None
    if ok:
        messages.success(request, ok)
    return result


@login_required
def request_access(request, port_id: int):
    """``/access/ports/<id>/request``: the request form (GET) and its submission (POST;
    redirects to the new request, or shows the form again with the error)."""
    port = get_object_or_404(OutputPort.objects.select_related("product", "asset"), pk=port_id)
    policy = policy_of(port)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        req = _act(
            request,
            services.create_request,
            request.user,
            port,
            purpose=form.cleaned_data["purpose"],
            end_date=form.cleaned_data["end_date"],
            level=form.cleaned_data["level"],
            principal=form.cleaned_data["principal"],
            ok="Your request was sent to the product's approvers.",
        )
        if req is not None:
            return redirect("access:detail", req.pk)
    return render(
        request,
        "access/request_form.html",
        {
            "port": port,
            "form": form,
            "allow_write": bool(policy and policy.allow_write),
            "max_days": services.max_days(),
        },
    )


@login_required
def inbox(request):
    """``/access/inbox/``: open requests I may decide (approve with an optional shorter
    end date, deny with a reason, comment), then grants of my products needing attention
    (failed provisioning, manual grants waiting)."""
    open_requests = to_approve(request.user).select_related(*SELECT).order_by("created_at", "id")
    page = Paginator(open_requests, PAGE_SIZE).get_page(request.GET.get("page"))
    attention = list(
        managed_requests(request.user)
        .filter(state__in=[State.PROVISIONING_FAILED, State.PROVISIONING])
        .select_related(*SELECT)
        .order_by("-updated_at")[:PAGE_SIZE]
    )
    return render(request, "access/inbox.html", {"page": page, "attention": attention})


@login_required
def badge(request):
    """``/access/badge``: the header's inbox link with the count of open requests I may
    decide (loaded by htmx after the page; one count query)."""
    count = to_approve(request.user).count()
    return render(request, "access/_badge.html", {"count": count})


@login_required
def my_access(request):
    """``/access/mine/``: my requests and grants (withdraw, renew or extend, give up)."""
    mine = AccessRequest.objects.filter(consumer=request.user).select_related(*SELECT)
    state = request.GET.get("state", "")
    if state:
        mine = mine.filter(state=state)
    page = Paginator(mine.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "access/my_access.html",
        {"page": page, "state": state, "states": State.choices, "live": LIVE_GRANT_STATES},
    )


@login_required
def detail(request, pk: int):
    """``/access/requests/<id>/``: one request: its facts, approvals, comments, audit
    entries and the actions the viewer may take. 403 for users who are neither the
    consumer nor an approver or owner."""
    req = get_object_or_404(AccessRequest.objects.select_related(*SELECT), pk=pk)
    user = request.user
    approver = can_approve(user, req)
    manager = can_manage_grant(user, req)
    if user.pk != req.consumer_id and not (approver or manager):
        raise PermissionDenied("Only the consumer and the approvers see this request.")
    return render(
        request,
        "access/detail.html",
        {
            "req": req,
            "is_consumer": user.pk == req.consumer_id,
            "approver": approver and req.state == State.REQUESTED,
            "manager": manager,
            "live": req.state in LIVE_GRANT_STATES,
            "renewable": req.state in (State.ACTIVE, State.EXPIRED, State.REVOKED),
            "approvals": req.approvals.select_related("approver"),
            "comments": req.comments.select_related("author"),
            "events": entries_for(req),
        },
    )


@login_required
@require_POST
def act(request, pk: int, action: str):
    """``POST /access/requests/<id>/<action>``: approve, deny, withdraw, comment, revoke,
    extend, renew, retry, mark-provisioned. Redirects back (``next`` or the request)."""
    req = get_object_or_404(AccessRequest, pk=pk)
    user, data = request.user, request.POST
    calls = {
        "approve": lambda: _act(
            request,
            services.approve,
            req,
            user,
            end_date=data.get("end_date") or None,
            comment=data.get("comment", ""),
            ok="Approved.",
        ),
        "deny": lambda: _act(
            request, services.deny, req, user, reason=data.get("reason", ""), ok="Denied."
        ),
        "withdraw": lambda: _act(request, services.withdraw, req, user, ok="Withdrawn."),
        "comment": lambda: _act(
            request, services.comment, req, user, data.get("text", ""), ok="Comment added."
        ),
        "revoke": lambda: _act(
            request, services.revoke, req, user, reason=data.get("reason", ""), ok="Revoked."
        ),
        "extend": lambda: _act(
            request,
            services.extend,
            req,
            user,
            end_date=data.get("end_date", ""),
            ok="End date moved.",
        ),
        "renew": lambda: _act(
            request,
            services.renew,
            req,
            user,
            end_date=data.get("end_date", ""),
            ok="Renewal requested.",
        ),
        "retry": lambda: _act(request, services.retry, req, user, ok="Provisioning retried."),
        "mark-provisioned": lambda: _act(
            request, services.mark_provisioned, req, user, ok="Marked as provisioned."
        ),
    }
    if action not in calls:
        return HttpResponse(f"Unknown action {action!r}.", status=404)
    calls[action]()
    target = data.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("access:detail", req.pk)


def port_section(request, port_id: int):
    """``/access/ports/<id>/section``: who has access to a port, why and until when (the
    data-usage agreement: consumer's name, team(s), level, purpose, end date; no other
    personal data), and the "Request access" button. Loaded by htmx into the product
    page; signed-in users only (empty for others)."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    port = get_object_or_404(OutputPort, pk=port_id)
    grants = list(
        AccessRequest.objects.filter(port=port, state__in=LIVE_GRANT_STATES)
        .select_related("consumer")
        .prefetch_related("consumer__teams")
        .order_by("end_date")[:200]
    )
    return render(request, "access/_port_grants.html", {"port": port, "grants": grants})


def asset_panel(request, asset_id: int):
    """``/access/assets/<id>/panel``: "Request access" buttons for each output port that
    publishes the asset (empty when none, or for anonymous users)."""
    ports = list(
        OutputPort.objects.filter(asset_id=asset_id).select_related("product")
        if request.user.is_authenticated
        else []
    )
    return render(request, "access/_asset_ports.html", {"ports": ports})
