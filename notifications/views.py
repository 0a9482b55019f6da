"""Pages: the inbox (and the header bell), My subscriptions, Watch buttons, incidents.

Every POST goes through :mod:`notifications.services` or :mod:`notifications.incidents`;
errors come back as messages naming the field or state (never a stack trace). Lists are
paginated with a fixed number of queries per page.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from catalog.models import Asset, Source
from notifications import incidents, recipients, services
from notifications.models import (
    Channel,
    Delivery,
    EmailMode,
    Incident,
    IncidentState,
    Severity,
    Subscription,
    TargetKind,
    Webhook,
)
from products.models import DataProduct, Domain, OutputPort

PAGE_SIZE = 50


def _is_id(raw: str) -> bool:
    """Whether ``raw`` is a row id: ASCII digits only (``"²".isdigit()`` is true, but
    ``int("²")`` raises)."""
    return raw.isascii() and raw.isdigit()


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You may not do this."


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return default
    return target


def _next_from_referer(request) -> str:
    """Where a non-htmx Watch form returns: the page that showed it, if on this site."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}):
        return referer
    return "/subscriptions/"


# -- inbox ------------------------------------------------------------------------------


def bell(request):
    """``/notifications/bell``: the header bell with the unread count (htmx fragment)."""
    count = services.unread_count(request.user)
    return render(request, "notifications/_bell.html", {"unread": count})


@login_required
def inbox(request):
    """``/notifications/``: the signed-in user's notifications, newest first (50 a page;
    ``?unread=1`` only unread)."""
    rows = services.inbox(request.user)
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": services.unread_count(request.user)},
    )


@login_required
def open_notification(request, pk: int):
    """``/notifications/<id>/open``: mark one notification read and go to its subject."""
    row = get_object_or_404(Delivery, pk=pk, user=request.user, channel=Channel.INBOX)
    services.mark_read(request.user, [row.pk])
    return redirect(row.event.url or "notifications:inbox")


@login_required
@require_POST
def mark_read(request):
    """``POST /notifications/read``: mark ``ids`` (repeated) or, without, all read."""
    ids = request.POST.getlist("ids")
    try:
        ids = [int(i) for i in ids] if ids else None
    except ValueError:
        return HttpResponseBadRequest("ids: must be integers")
    count = services.mark_read(request.user, ids)
    messages.success(request, f"{count} notification(s) marked read.")
    return redirect(_next(request, "/notifications/"))


# -- subscriptions ----------------------------------------------------------------------

LABELS = {
    TargetKind.ASSET: (Asset, "name", lambda o: f"/assets/{o.urn}"),
    TargetKind.PRODUCT: (DataProduct, "name", lambda o: f"/products/{o.uid}/"),
    TargetKind.PORT: (OutputPort, "name", lambda o: f"/products/{o.product.uid}/"),
    TargetKind.DOMAIN: (Domain, "name", lambda o: f"/domains/{o.slug}/"),
    TargetKind.SOURCE: (Source, "name", lambda o: "/sources/"),
}


def label_targets(subs) -> list[dict]:
    """``[{"sub", "label", "url"}]`` for subscriptions, one query per kind present."""
    by_kind: dict[str, set[int]] = {}
    for sub in subs:
        by_kind.setdefault(sub.target_kind, set()).add(sub.target_id)
    found = {}
    for kind, ids in by_kind.items():
        model, _, _ = LABELS[kind]
        rows = model.objects.filter(pk__in=ids)
        if kind == TargetKind.PORT:
            rows = rows.select_related("product")
        found[kind] = {o.pk: o for o in rows}
    out = []
    for sub in subs:
        obj = found.get(sub.target_kind, {}).get(sub.target_id)
        if obj is None:
            label, url = f"{sub.target_kind} {sub.target_id} (deleted)", ""
        else:
            label = str(obj) if sub.target_kind == TargetKind.PORT else obj.name
            url = LABELS[sub.target_kind][2](obj)
        out.append({"sub": sub, "label": label, "url": url})
    return out


@login_required
def my_subscriptions(request):
    """``/subscriptions/``: what the user watches (and mutes), the output ports they are
    subscribed to automatically (owner, consumer team, grant) with Mute buttons, their
    teams' subscriptions, e-mail mode (immediate, daily digest, off) and webhooks with
    their last delivery."""
    user = request.user
    mine = list(Subscription.objects.filter(user=user))
    muted_ports = {s.target_id for s in mine if s.muted and s.target_kind == TargetKind.PORT}
    auto = recipients.automatic_for(user)
    for row in auto:
        row["muted"] = row["port"].pk in muted_ports
    team_subs = list(
        Subscription.objects.filter(team__memberships__user=user).select_related("team")
    )
    hooks = list(Webhook.objects.filter(user=user)) + list(
        Webhook.objects.filter(team__memberships__user=user).select_related("team")
    )
    last = {}
    for delivery in Delivery.objects.filter(webhook__in=hooks).order_by("webhook_id", "-id"):
        last.setdefault(delivery.webhook_id, delivery)
    context = {
        "watched": label_targets([s for s in mine if not s.muted]),
        "muted": label_targets([s for s in mine if s.muted]),
        "automatic": auto,
        "team_subs": label_targets(team_subs),
        "email_mode": services.email_mode(user),
        "email_modes": EmailMode.choices,
        "webhooks": [{"hook": h, "last": last.get(h.pk)} for h in hooks],
    }
    return render(request, "notifications/subscriptions.html", context)


@login_required
@require_POST
def email_settings(request):
    """``POST /subscriptions/email``: store the e-mail mode."""
    try:
        services.set_email_mode(request.user, request.POST.get("email_mode", ""))
        messages.success(request, "E-mail preference saved.")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("notifications:subscriptions")


def watch_button(request, kind: str, target_id: int):
    """``/subscriptions/button/<kind>/<id>``: the Watch / Unwatch button (htmx)."""
    sub = services.is_watching(request.user, kind, target_id)
    return render(
        request,
        "notifications/_watch_button.html",
        {
            "kind": kind,
            "target_id": target_id,
            "sub": sub,
            "next_url": _next_from_referer(request),
        },
    )


def port_button(request, port_id: int):
    """``/subscriptions/port/<id>/mute-button``: the output port's Mute / Unmute button
    (htmx) for a user subscribed to it automatically (owner, consumer team, grant; the
    reason is shown); empty for anyone else (the product's Watch button serves them)."""
    port = get_object_or_404(OutputPort, pk=port_id)
    reason, muted = "", False
    if request.user.is_authenticated:
        auto = {r["port"].pk: r["reason"] for r in recipients.automatic_for(request.user)}
        reason = auto.get(port.pk, "")
        sub = services.is_watching(request.user, TargetKind.PORT, port.pk)
        muted = bool(sub and sub.muted)
    return render(
        request,
        "notifications/_port_mute.html",
        {"port": port, "reason": reason, "muted": muted, "next_url": _next_from_referer(request)},
    )


@login_required
@require_POST
def watch(request, kind: str, target_id: int):
    """``POST /subscriptions/<kind>/<id>/<action>``: ``watch``, ``unwatch``, ``mute`` or
    ``unmute`` a target. htmx requests get the button back; others are redirected."""
    action = request.POST.get("action", "")
    try:
        if action == "watch":
            services.watch(request.user, kind, target_id)
        elif action == "unwatch":
            services.unwatch(request.user, kind, target_id)
        elif action in ("mute", "unmute"):
            if action == "unmute":
                sub = services.is_watching(request.user, kind, target_id)
                if sub and sub.muted and not sub.event_types:
                    sub.delete()
            else:
                services.mute(request.user, kind, target_id, True)
        else:
            return HttpResponseBadRequest("action: use watch, unwatch, mute or unmute")
    except (ValidationError, PermissionDenied) as exc:
        if request.headers.get("HX-Request"):
            return HttpResponseBadRequest(_error_text(exc))
        messages.error(request, _error_text(exc))
    if request.headers.get("HX-Request"):
        if kind == TargetKind.PORT and request.POST.get("button") == "port":
            return port_button(request, target_id)
        return watch_button(request, kind, target_id)
    return redirect(_next(request, "/subscriptions/"))


# -- incidents --------------------------------------------------------------------------


def incident_list(request):
    """``/incidents/``: incidents, unresolved first by default (``?state=``, ``?asset=``,
    ``?product=`` filter; 50 a page)."""
    rows = Incident.objects.select_related("asset", "product", "assignee")
    state = request.GET.get("state", "")
    if state in IncidentState.values:
        rows = rows.filter(state=state)
    elif state != "all":
        rows = rows.exclude(state=IncidentState.RESOLVED)
    for key in ("asset", "product"):
        value = request.GET.get(key, "")
        if _is_id(value):
            rows = rows.filter(**{f"{key}_id": int(value)})
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/incident_list.html",
        {"page": page, "state": state, "states": IncidentState.values},
    )


def incident_detail(request, pk: int):
    """``/incidents/<id>/``: state, severity, assignee, subject, impact at opening, the
    timeline with comments, and the actions the user may take."""
    incident = get_object_or_404(
        Incident.objects.select_related("asset", "product", "port", "slo", "assignee", "opened_by"),
        pk=pk,
    )
    context = {
        "incident": incident,
        "entries": incident.entries.select_related("author"),
        "can_act": incidents.can_act(request.user, incident),
        "severities": Severity.values,
        "users": get_user_model().objects.filter(is_active=True).order_by("username")[:200],
    }
    return render(request, "notifications/incident_detail.html", context)


@login_required
def incident_new(request):
    """``/incidents/new?asset=<id>`` or ``?product=<id>``: open an incident by hand."""
    asset = product = None
    source = request.POST if request.method == "POST" else request.GET
    if _is_id(source.get("asset", "")):
        asset = get_object_or_404(Asset, pk=int(source["asset"]))
    if _is_id(source.get("product", "")):
        product = get_object_or_404(DataProduct, pk=int(source["product"]))
    if asset is None and product is None:
        return HttpResponseBadRequest("asset or product: name the subject of the incident")
    if request.method == "POST":
        try:
            incident, _ = incidents.open_incident(
                episode=incidents.manual_episode(),
                title=request.POST.get("title", ""),
                severity=request.POST.get("severity", Severity.HIGH),
                description=request.POST.get("description", "").strip(),
                asset=asset,
                product=product,
                user=request.user,
            )
            messages.success(request, "Incident opened; the owners and downstream were told.")
            return redirect(incident.get_absolute_url())
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    return render(
        request,
        "notifications/incident_form.html",
        {"asset": asset, "product": product, "severities": Severity.values, "form": request.POST},
    )


@login_required
@require_POST
def incident_act(request, pk: int, action: str):
    """``POST /incidents/<id>/<action>``: ``acknowledge``, ``resolve`` (``note``),
    ``reopen``, ``comment`` (``text``), ``update`` (``severity``, ``assignee`` id)."""
    incident = get_object_or_404(Incident.objects.select_related("product"), pk=pk)
    try:
        if action == "acknowledge":
            incidents.acknowledge(incident, request.user)
        elif action == "resolve":
            incidents.resolve(incident, request.user, request.POST.get("note", "").strip())
        elif action == "reopen":
            incidents.reopen(incident, request.user)
        elif action == "comment":
            incidents.comment(incident, request.user, request.POST.get("text", ""))
        elif action == "update":
            raw = request.POST.get("assignee", "")
            assignee = ...
            if raw == "":
                assignee = None
            elif _is_id(raw):
                assignee = get_object_or_404(get_user_model(), pk=int(raw))
            incidents.update(
                incident,
                request.user,
                severity=request.POST.get("severity") or None,
                assignee=assignee,
            )
        else:
            return HttpResponseBadRequest(f"action {action!r}: unknown")
        messages.success(
            request, f"Incident {action}d." if action != "comment" else "Comment added."
        )
    except (ValidationError, PermissionDenied, incidents.StateConflict) as exc:
        messages.error(request, _error_text(exc))
    return redirect(incident.get_absolute_url())
