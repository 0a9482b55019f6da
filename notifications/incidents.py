"""The incident state machine, used by receivers, pages, the API and the admin.

``open → acknowledged → resolved`` (``resolved → open`` again by hand). One unresolved
incident per episode (``Incident.episode``, a partial unique constraint): opening an
episode that is already open adds a timeline line to it instead. At opening, the impact
analysis of the subject (:func:`lineage.queries.impact`, unbounded depth) is stored on the
incident and the downstream assets and the products publishing them are notified along
with the subject's watchers and owners.

Errors: :class:`django.core.exceptions.ValidationError` (400, naming the field),
:class:`django.core.exceptions.PermissionDenied` (403), :class:`StateConflict` (409).
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from lineage.queries import impact
from notifications import services
from notifications.models import (
    EventType,
    Incident,
    IncidentEntry,
    IncidentState,
    Severity,
    TargetKind,
)
from products.models import DataProduct, OutputPort
from products.permissions import can_edit, is_admin

MAX_IMPACT_ROWS = 500  # assets kept on the incident (all are notified)


class StateConflict(Exception):
    """The incident's state does not allow the action (HTTP 409)."""

    def __init__(self, incident: Incident, action: str):
        self.state = incident.state
        super().__init__(f"cannot {action} incident {incident.pk}: it is {incident.state}")


def analyse_impact(asset) -> dict:
    """The downstream of ``asset`` (an Asset or None): ``{"assets": [{urn, name, depth,
    owners}], "asset_ids": [...], "products": [{id, uid, name, owner_team}], "owners":
    [names], "truncated": bool}``; empty lists when there is no asset or no lineage."""
    empty = {"assets": [], "asset_ids": [], "products": [], "owners": [], "truncated": False}
    if asset is None:
        return empty
    try:
        rows = impact(asset.urn)
    except Http404:
        return empty
    from catalog.models import Asset

    urns = [r["urn"] for r in rows]
    ids = dict(Asset.objects.filter(urn__in=urns).values_list("urn", "id")) if urns else {}
    products = {}
    for pid, uid, name, team in OutputPort.objects.filter(asset_id__in=ids.values()).values_list(
        "product_id", "product__uid", "product__name", "product__owner_team__name"
    ):
        products[pid] = {"id": pid, "uid": uid, "name": name, "owner_team": team or ""}
    owners = sorted(
        {o for r in rows for o in r["owners"]}
        | {p["owner_team"] for p in products.values() if p["owner_team"]}
    )
    return {
        "assets": [
            {k: r[k] for k in ("urn", "name", "depth", "owners")} for r in rows[:MAX_IMPACT_ROWS]
        ],
        "asset_ids": sorted(ids.values()),
        "products": sorted(products.values(), key=lambda p: p["name"]),
        "owners": owners,
        "truncated": len(rows) > MAX_IMPACT_ROWS,
    }


def _subject_targets(incident: Incident) -> list[tuple[str, int]]:
    targets = []
    if incident.port_id:
        targets.append((TargetKind.PORT, incident.port_id))
    if incident.asset_id:
        targets.append((TargetKind.ASSET, incident.asset_id))
    if incident.product_id:
        targets.append((TargetKind.PRODUCT, incident.product_id))
    return targets


def _notify(incident: Incident, type: str, title: str, body: str = "", downstream=False) -> None:
    targets = _subject_targets(incident)
    if downstream:
        impact_data = incident.impact or {}
        targets += [(TargetKind.ASSET, i) for i in impact_data.get("asset_ids", [])]
        targets += [(TargetKind.PRODUCT, p["id"]) for p in impact_data.get("products", [])]
    users = [incident.assignee_id] if incident.assignee_id else []
    services.publish(
        type,
        f"incident:{incident.pk}:{type}:{uuid.uuid4().hex}",
        title,
        body=body,
        url=incident.get_absolute_url(),
        severity=incident.severity,
        targets=targets,
        users=users,
        incident=incident,
        data={"incident": incident.pk, "state": incident.state},
    )


def _entry(incident: Incident, kind: str, text: str, author=None) -> IncidentEntry:
    return IncidentEntry.objects.create(incident=incident, kind=kind, text=text, author=author)


def open_incident(
    *,
    episode: str,
    title: str,
    cause: str = "manual",
    severity: str = Severity.HIGH,
    description: str = "",
    asset=None,
    product=None,
    port=None,
    slo=None,
    user=None,
) -> tuple[Incident, bool]:
    """Open an incident for ``episode`` or return the unresolved one (``(incident,
    created)``; an existing one gets a timeline line ``description``). The subject is
    ``port`` (its asset and product filled in), ``asset`` (with the product of the first
    output port publishing it) or ``product`` (with its first bound port's asset). Stores the
    impact analysis, notifies the subject's watchers and owners and the downstream ones
    (``incident_opened``). ValidationError for a bad severity or no subject."""
    if severity not in Severity.values:
        raise ValidationError({"severity": [f"use one of {', '.join(Severity.values)}"]})
    if not title.strip():
        raise ValidationError({"title": ["A title is required."]})
    if port is not None:
        asset = asset or port.asset
        product = product or port.product
    if asset is None and product is None:
        raise ValidationError({"subject": ["An incident needs an asset or a product."]})
    if asset is not None and product is None:  # the product publishing the asset, if any
        port = OutputPort.objects.filter(asset=asset).select_related("product").first()
        product = port.product if port else None
    existing = Incident.objects.filter(episode=episode).exclude(state=IncidentState.RESOLVED)
    found = existing.first()
    if found:
        if description:
            _entry(found, "event", description)
        return found, False
    if asset is None and product is not None:
        first = product.output_ports.filter(asset__isnull=False).select_related("asset").first()
        asset = first.asset if first else None
    impact_data = analyse_impact(asset)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                title=title.strip()[:300],
                description=description,
                episode=episode[:255],
                cause=cause,
                severity=severity,
                asset=asset,
                product=product,
                port=port,
                slo=slo,
                opened_by=user,
                impact=impact_data,
            )
    except IntegrityError:  # opened concurrently for the same episode
        return existing.get(), False
    affected = len(impact_data["asset_ids"])
    _entry(
        incident,
        "opened",
        f"Opened ({cause.replace('_', ' ')}): {affected} downstream asset(s), "
        f"{len(impact_data['products'])} product(s) affected."
        + (f" {description}" if description else ""),
        user,
    )
    _notify(
        incident,
        EventType.INCIDENT_OPENED,
        f"Incident opened: {incident.title}",
        description
        or f"Severity {severity}. {affected} downstream asset(s) and "
        f"{len(impact_data['products'])} product(s) may be affected.",
        downstream=True,
    )
    return incident, True


def can_act(user, incident: Incident) -> bool:
    """Whether ``user`` may acknowledge, resolve, assign or change severity: staff, the
    assignee, the opener, or an editor of the incident's product (owning team)."""
    if not (user and user.is_authenticated):
        return False
    if is_admin(user) or user.pk in (incident.assignee_id, incident.opened_by_id):
        return True
    return incident.product is not None and can_edit(user, incident.product)


def _require(user, incident: Incident, action: str, states) -> None:
    if not can_act(user, incident):
        raise PermissionDenied(f"you may not {action} this incident")
    if incident.state not in states:
        raise StateConflict(incident, action)


def acknowledge(incident: Incident, user) -> Incident:
    """open → acknowledged (assigns the user when nobody is assigned)."""
    _require(user, incident, "acknowledge", [IncidentState.OPEN])
    incident.state = IncidentState.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.assignee = incident.assignee or user
    incident.save()
    _entry(incident, "state", f"Acknowledged by {user.get_username()}.", user)
    _notify(incident, EventType.INCIDENT_UPDATED, f"Incident acknowledged: {incident.title}")
    return incident


def resolve(incident: Incident, user=None, note: str = "") -> Incident:
    """open/acknowledged → resolved; ``user`` None is the system (e.g. an SLO recovered)."""
    if user is not None:
        _require(user, incident, "resolve", [IncidentState.OPEN, IncidentState.ACKNOWLEDGED])
    elif incident.state == IncidentState.RESOLVED:
        raise StateConflict(incident, "resolve")
    incident.state = IncidentState.RESOLVED
    incident.resolved_at = timezone.now()
    incident.save()
    who = user.get_username() if user else "the catalog"
    _entry(incident, "state", f"Resolved by {who}." + (f" {note}" if note else ""), user)
    _notify(
        incident,
        EventType.INCIDENT_RESOLVED,
        f"Incident resolved: {incident.title}",
        note,
        downstream=True,
    )
    return incident


def reopen(incident: Incident, user) -> Incident:
    """resolved → open (409 when another incident of the episode is open meanwhile)."""
    _require(user, incident, "reopen", [IncidentState.RESOLVED])
    incident.state = IncidentState.OPEN
    incident.resolved_at = None
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:
        incident.state = IncidentState.RESOLVED
        raise StateConflict(incident, "reopen (another incident of its episode is open)") from None
    _entry(incident, "state", f"Reopened by {user.get_username()}.", user)
    _notify(incident, EventType.INCIDENT_UPDATED, f"Incident reopened: {incident.title}")
    return incident


def comment(incident: Incident, user, text: str) -> IncidentEntry:
    """Add a comment to the timeline (any signed-in user); ValidationError when empty."""
    if not (user and user.is_authenticated):
        raise PermissionDenied("sign in to comment")
    if not (text or "").strip():
        raise ValidationError({"text": ["A comment cannot be empty."]})
    entry = _entry(incident, "comment", text.strip()[:5000], user)
    _notify(
        incident,
        EventType.INCIDENT_UPDATED,
        f"New comment on incident: {incident.title}",
        f"{user.get_username()}: {text.strip()[:500]}",
    )
    return entry


def update(incident: Incident, user, *, severity: str | None = None, assignee=...) -> Incident:
    """Change severity and/or assignee (a user or None); each change is a timeline line."""
    _require(user, incident, "update", [IncidentState.OPEN, IncidentState.ACKNOWLEDGED])
    if severity is not None and severity != incident.severity:
        if severity not in Severity.values:
            raise ValidationError({"severity": [f"use one of {', '.join(Severity.values)}"]})
        _entry(incident, "severity", f"Severity {incident.severity} → {severity}.", user)
        incident.severity = severity
    if assignee is not ... and getattr(assignee, "pk", None) != incident.assignee_id:
        incident.assignee = assignee
        who = assignee.get_username() if assignee else "nobody"
        _entry(incident, "assigned", f"Assigned to {who}.", user)
    incident.save()
    _notify(incident, EventType.INCIDENT_UPDATED, f"Incident updated: {incident.title}")
    return incident


def manual_episode() -> str:
    """A fresh episode key for an incident opened by hand."""
    return f"manual:{uuid.uuid4().hex}"


def open_counts_by_asset(asset_ids) -> dict[int, int]:
    """``{asset id: open incidents}`` for ``asset_ids`` (one query; subject assets only)."""
    counts: dict[int, int] = {}
    for asset_id in (
        Incident.objects.filter(asset_id__in=list(asset_ids))
        .exclude(state=IncidentState.RESOLVED)
        .values_list("asset_id", flat=True)
    ):
        counts[asset_id] = counts.get(asset_id, 0) + 1
    return counts


def open_counts_by_product(product_ids) -> dict[int, int]:
    """``{product id: open incidents}`` for ``product_ids`` (one query)."""
    counts: dict[int, int] = {}
    for product_id in (
        Incident.objects.filter(product_id__in=list(product_ids))
        .exclude(state=IncidentState.RESOLVED)
        .values_list("product_id", flat=True)
    ):
        counts[product_id] = counts.get(product_id, 0) + 1
    return counts


def product_of(product_id) -> DataProduct | None:
    """The product with ``product_id`` or None."""
    return DataProduct.objects.filter(pk=product_id).first()
