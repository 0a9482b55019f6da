"""Receivers: turn what other apps announce into events and incidents.

* :data:`products.events.slo_state_changed`: ``slo_at_risk`` / ``slo_breached`` /
  ``slo_recovered`` events on the SLO's output port; a breach opens the incident of
  episode ``slo:<id>`` (one per episode), leaving ``breached`` resolves it. When the
  breach opens the incident, ``slo_breached`` collapses into ``incident_opened`` (which
  links the SLO): its recipients get one e-mail / webhook POST, the incident's, and
  both events in the inbox (the breach stays visible in the history).
* :data:`harvesters.signals.run_changes_recorded`: a ``schema_changed`` event per changed
  asset; a change that breaks the data contract of an output port publishing the asset
  (a contract column removed or retyped; without a contract: the diff's ``breaking``)
  opens the incident of episode ``schema:<port id>``.
* :data:`harvesters.signals.quality_results_stored`: a failed or erroring check is a
  ``quality_failed`` event and opens the incident ``quality:<asset id>:<check>``; the
  same check passing later resolves it.
* ``post_save`` of :class:`catalog.models.HarvestRun`: a run that ended ``failed`` or
  ``partial`` is a ``harvest_failed`` event for the source's watchers and owning team.
* :data:`access.signals.request_changed`: a new request (or a step approved) tells the
  approvers of the next step; a decision or grant change tells the requester.
* ``post_save`` of :class:`products.models.DataProduct` moving to ``deprecated``: a
  ``deprecation`` event for its watchers, owners and consumers.

Every receiver logs and swallows its own errors: notifying never breaks the sender.
"""

import logging

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from access.signals import request_changed
from catalog.models import Asset, HarvestRun
from harvesters.signals import quality_results_stored, run_changes_recorded
from notifications import channels, incidents, services
from notifications.models import EventType, Incident, IncidentState, Severity, TargetKind
from products.events import slo_state_changed
from products.models import DataProduct, OutputPort, ProductStatus, TeamMembership

log = logging.getLogger(__name__)
FAILING = {"fail", "error"}


def _stamp() -> str:
    return timezone.now().isoformat()


def _resolve_episode(episode: str, note: str) -> None:
    for incident in Incident.objects.filter(episode=episode).exclude(state=IncidentState.RESOLVED):
        incidents.resolve(incident, None, note)


@receiver(slo_state_changed, dispatch_uid="notifications-slo-state")
def on_slo_state(sender, slo, old: str, new: str, value=None, **kwargs) -> None:
    """SLO events and the breach incident (see the module docstring)."""
    try:
        port = OutputPort.objects.select_related("product", "asset").get(pk=slo.port_id)
        where = f"{port.product.name} / {port.name}"
        url = f"/products/{port.product.uid}/"
        targets = [(TargetKind.PORT, port.pk)]
        shown = "—" if value is None else f"{value:g}"
        if new == "breached":
            incident, created = incidents.open_incident(
                episode=f"slo:{slo.pk}",
                title=f"SLO {slo.name} breached on {where}",
                cause="slo_breach",
                severity=Severity.HIGH,
                description=f"The SLO {slo.name} ({slo.kind}) on {where} is breached: "
                f"latest value {shown} (was {old}). SLO: {channels.absolute(url)}",
                port=port,
                slo=slo,
            )
            opened = (
                incident.events.filter(type=EventType.INCIDENT_OPENED).order_by("id").first()
                if created
                else None
            )
            services.publish(
                EventType.SLO_BREACHED,
                f"slo:{slo.pk}:breached:{_stamp()}",
                f"SLO breached: {slo.name} on {where}",
                body=f"The SLO {slo.name} ({slo.kind}) is breached; latest value {shown}.",
                url=url,
                severity="high",
                targets=targets,
                incident=incident,
                # the episode starts: its incident_opened is the one e-mail / webhook POST
                data={"collapse_into": opened.pk} if opened else None,
            )
        elif new == "at risk" and old != "breached":
            services.publish(
                EventType.SLO_AT_RISK,
                f"slo:{slo.pk}:at-risk:{_stamp()}",
                f"SLO at risk: {slo.name} on {where}",
                body=f"The SLO {slo.name} is burning its error budget; latest value {shown}.",
                url=url,
                severity="medium",
                targets=targets,
            )
        elif old == "breached" and new in ("met", "at risk"):
            services.publish(
                EventType.SLO_RECOVERED,
                f"slo:{slo.pk}:recovered:{_stamp()}",
                f"SLO recovered: {slo.name} on {where}",
                body=f"The SLO {slo.name} is {new} again; latest value {shown}.",
                url=url,
                targets=targets,
            )
            _resolve_episode(f"slo:{slo.pk}", f"The SLO is {new} again.")
    except Exception:
        log.exception("notifications: SLO %s state change failed", getattr(slo, "pk", None))


def contract_columns(port: OutputPort) -> set[str] | None:
    """Lower-cased column names the port's ODCS contract defines (every schema object's
    ``properties[].name``), or None when the port has no contract."""
    contract = port.data_contract
    if contract is None:
        return None
    names = set()
    for obj in (contract.document or {}).get("schema") or []:
        for prop in (obj or {}).get("properties") or []:
            if isinstance(prop, dict) and prop.get("name"):
                names.add(str(prop["name"]).lower())
    return names


def breaks_contract(port: OutputPort, detail: dict) -> list[str]:
    """The contract columns a schema diff breaks (removed or retyped), as readable
    strings; without a contract every removed/retyped column when ``breaking``."""
    removed = [str(c) for c in detail.get("removed") or []]
    retyped = [list(t) for t in detail.get("type_changed") or [] if t]
    columns = contract_columns(port)
    broken = [f"{c} removed" for c in removed if columns is None or c.lower() in columns]
    broken += [
        f"{t[0]} {t[1]} → {t[2]}" if len(t) == 3 else f"{t[0]} retyped"
        for t in retyped
        if columns is None or str(t[0]).lower() in columns
    ]
    if columns is None and not detail.get("breaking"):
        return []
    return broken


@receiver(run_changes_recorded, dispatch_uid="notifications-run-changes")
def on_run_changes(sender, run, changes=(), **kwargs) -> None:
    """Schema change events and breaking-change incidents (see the module docstring)."""
    try:
        schema = [c for c in changes or [] if c.get("kind") == "schema_changed"]
        if not schema:
            return
        assets = {a.urn: a for a in Asset.objects.filter(urn__in=[c["urn"] for c in schema])}
        ports_by_asset: dict[int, list[OutputPort]] = {}
        for port in OutputPort.objects.filter(asset__in=assets.values()).select_related(
            "product", "data_contract", "asset"
        ):
            ports_by_asset.setdefault(port.asset_id, []).append(port)
        for change in schema:
            asset = assets.get(change["urn"])
            if asset is None:
                continue
            detail = change.get("detail") or {}
            parts = []
            if detail.get("added"):
                parts.append("added " + ", ".join(map(str, detail["added"])))
            if detail.get("removed"):
                parts.append("removed " + ", ".join(map(str, detail["removed"])))
            for t in detail.get("type_changed") or []:
                parts.append(f"{t[0]}: {t[1]} → {t[2]}" if len(t) == 3 else str(t))
            breaking = bool(detail.get("breaking"))
            services.publish(
                EventType.SCHEMA_CHANGED,
                f"schema:{run.pk}:{asset.pk}",
                f"Schema {'broken' if breaking else 'changed'}: {asset.name}",
                body="; ".join(parts),
                url=f"/assets/{asset.urn}",
                severity="high" if breaking else "info",
                targets=[(TargetKind.ASSET, asset.pk)],
                data={"diff": detail, "run": run.pk},
            )
            for port in ports_by_asset.get(asset.pk, []):
                broken = breaks_contract(port, detail)
                if broken:
                    contract = port.data_contract
                    incidents.open_incident(
                        episode=f"schema:{port.pk}",
                        title=f"Breaking schema change on {port.product.name} / {port.name}",
                        cause="schema_breaking",
                        severity=Severity.HIGH,
                        description=(
                            f"Harvest run {run.pk}: "
                            + "; ".join(broken)
                            + (f" (contract {contract.uid})" if contract else "")
                        ),
                        port=port,
                    )
    except Exception:
        log.exception("notifications: run %s changes failed", getattr(run, "pk", None))


@receiver(quality_results_stored, dispatch_uid="notifications-quality")
def on_quality(sender, results=(), **kwargs) -> None:
    """Failed-check events and incidents; a passing check resolves its incident."""
    try:
        urns = {r["asset_urn"] for r in results or []}
        assets = {a.urn: a for a in Asset.objects.filter(urn__in=urns)} if urns else {}
        for r in results or []:
            asset = assets.get(r["asset_urn"])
            if asset is None:
                continue
            episode = f"quality:{asset.pk}:{r['name']}"[:255]
            if r["status"] in FAILING:
                when = r.get("when")
                stamp = when.isoformat() if hasattr(when, "isoformat") else _stamp()
                services.publish(
                    EventType.QUALITY_FAILED,
                    f"quality:{asset.pk}:{r['name']}:{stamp}"[:255],
                    f"Quality check failed: {r['name']} on {asset.name}",
                    body=f"Status {r['status']}.",
                    url=f"/assets/{asset.urn}?tab=quality",
                    severity="medium",
                    targets=[(TargetKind.ASSET, asset.pk)],
                )
                incidents.open_incident(
                    episode=episode,
                    title=f"Quality check {r['name']} failing on {asset.name}",
                    cause="quality_failed",
                    severity=Severity.MEDIUM,
                    description=f"Check {r['name']}: {r['status']}.",
                    asset=asset,
                )
            elif r["status"] == "pass":
                _resolve_episode(episode, f"The check {r['name']} passes again.")
    except Exception:
        log.exception("notifications: quality results failed")


@receiver(post_save, sender=HarvestRun, dispatch_uid="notifications-harvest-failed")
def on_harvest_run(sender, instance: HarvestRun, **kwargs) -> None:
    """A failed or partial run: a ``harvest_failed`` event (once per run)."""
    if kwargs.get("raw"):  # loaddata: no event for rows being restored
        return
    if instance.ended_at is None or instance.status not in (
        HarvestRun.Status.FAILED,
        HarvestRun.Status.PARTIAL,
    ):
        return
    try:
        source = instance.source
        users = []
        if source.owner_team:
            users = list(
                TeamMembership.objects.filter(team__slug=source.owner_team).values_list(
                    "user_id", flat=True
                )
            )
        first = (instance.errors or [{}])[0] if instance.errors else {}
        services.publish(
            EventType.HARVEST_FAILED,
            f"harvest:{instance.pk}",
            f"Harvest {instance.status}: {source.name}",
            body=(
                f"Run {instance.pk} ended {instance.status} with {len(instance.errors or [])} "
                f"error(s). {first.get('item', '')} {first.get('message', '')}".strip()
            ),
            url=f"/runs/{instance.pk}/",
            severity="high" if instance.status == HarvestRun.Status.FAILED else "medium",
            targets=[(TargetKind.SOURCE, source.pk)],
            users=users,
        )
    except Exception:
        log.exception("notifications: harvest run %s failed to notify", instance.pk)


@receiver(request_changed, dispatch_uid="notifications-access")
def on_access(sender, request, action: str, actor=None, **kwargs) -> None:
    """Access request events for approvers (new request, next step) and requesters."""
    try:
        from access.permissions import can_approve

        req = request
        port = req.port
        product = port.product
        if action in ("requested", "step_approved"):
            teams = [
                t
                for t in (product.owner_team_id, getattr(product.domain, "owner_team_id", None))
                if t
            ]
            candidates = (
                get_user_model().objects.filter(team_memberships__team_id__in=teams).distinct()
            )
            users = [u.pk for u in candidates if can_approve(u, req)]
            title = (
                f"Access requested: {req.consumer.get_username()} → {product.name} / {port.name}"
            )
        else:
            users = [req.consumer_id]
            title = f"Your access request {req.pk} on {product.name} / {port.name}: {action.replace('_', ' ')}"
        if actor is not None:
            users = [u for u in users if u != actor.pk] or (
                [] if action in ("requested", "step_approved") else users
            )
        if not users:
            return
        services.publish(
            EventType.ACCESS_REQUEST,
            f"access:{req.pk}:{action}:{req.updated_at.isoformat()}",
            title,
            body=(req.reason or req.purpose or "")[:1000],
            url=f"/access/requests/{req.pk}/",
            users=users,
            data={"request": req.pk, "action": action, "state": req.state},
        )
    except Exception:
        log.exception("notifications: access request %s failed", getattr(request, "pk", None))


@receiver(pre_save, sender=DataProduct, dispatch_uid="notifications-product-status-before")
def remember_status(sender, instance: DataProduct, **kwargs) -> None:
    """Keep the stored status to detect a move to ``deprecated`` after saving."""
    if kwargs.get("raw"):  # loaddata: no event for rows being restored
        return
    if instance.pk:
        instance._notify_old_status = (
            DataProduct.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
        )


@receiver(post_save, sender=DataProduct, dispatch_uid="notifications-product-deprecated")
def on_product_saved(sender, instance: DataProduct, created=False, **kwargs) -> None:
    """A product that became ``deprecated``: a ``deprecation`` event."""
    if kwargs.get("raw"):  # loaddata: no event for rows being restored
        return
    old = getattr(instance, "_notify_old_status", None)
    if created or instance.status != ProductStatus.DEPRECATED or old == ProductStatus.DEPRECATED:
        return
    try:
        ports = list(instance.output_ports.values_list("id", flat=True))
        services.publish(
            EventType.DEPRECATION,
            f"deprecation:{instance.pk}:{_stamp()}",
            f"Data product deprecated: {instance.name}",
            body=instance.limitations[:1000] if instance.limitations else "",
            url=f"/products/{instance.uid}/",
            severity="medium",
            targets=[(TargetKind.PRODUCT, instance.pk)] + [(TargetKind.PORT, p) for p in ports],
        )
    except Exception:
        log.exception("notifications: deprecation of product %s failed", instance.pk)
