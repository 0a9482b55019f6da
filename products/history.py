"""The edit log: who changed what on a product or domain, and when.

:func:`snapshot_product` captures the editable state of a product as plain JSON;
:func:`record_edit` stores the difference of two snapshots as an
:class:`~products.models.EditRecord` (``changes`` = ``{field: [old, new]}``).
"""

from products.models import SLO, DataProduct, Domain, EditRecord, Team


def snapshot_product(product: DataProduct | None) -> dict:
    """Editable state of ``product`` as ``{field: JSON value}`` (ports, members and SLOs
    summarised as sorted lists of labels); ``{}`` for None."""
    if product is None or product.pk is None:
        return {}
    return {
        "name": product.name,
        "status": product.status,
        "version": product.version,
        "domain": product.domain.slug if product.domain else "",
        "owner_team": product.owner_team.slug if product.owner_team else "",
        "purpose": product.purpose,
        "limitations": product.limitations,
        "usage": product.usage,
        "tags": list(product.tags),
        "links": list(product.links),
        "members": sorted(f"{m.username} ({m.role})" for m in product.members.all()),
        "input_ports": sorted(f"{p.name} {p.version}".strip() for p in product.input_ports.all()),
        "output_ports": sorted(
            f"{p.name} {p.version} -> {p.asset_urn or '-'}".strip()
            for p in product.output_ports.all()
        ),
        "slos": sorted(
            f"{s.port.name}: {s.name} ({s.kind}, objective {s.objective:g}, "
            f"window {s.window_days}d)"
            for s in SLO.objects.filter(port__product=product).select_related("port")
        ),
    }


def snapshot_domain(domain: Domain | None) -> dict:
    """Editable state of ``domain`` as strings, the shape the domain pages record:
    ``{slug, name, parent, owner_team, description}`` with ``parent`` and ``owner_team``
    as their names (``""`` when unset); ``{}`` for None or unsaved."""
    if domain is None or domain.pk is None:
        return {}
    fields = ("slug", "name", "parent", "owner_team", "description")
    return {f: str(getattr(domain, f) or "") for f in fields}


def snapshot_team(team: Team | None) -> dict:
    """Editable state of ``team``: ``{slug, name, description, members}`` where
    ``members`` is ``"username (role), ..."`` sorted by username; ``{}`` for None or unsaved."""
    if team is None or team.pk is None:
        return {}
    return {
        "slug": team.slug,
        "name": team.name,
        "description": team.description,
        "members": ", ".join(
            sorted(f"{m.user.username} ({m.role})" for m in team.memberships.select_related("user"))
        ),
    }


def diff(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for every field whose value differs."""
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record_edit(
    product: DataProduct | None,
    user,
    action: str,
    before: dict | None,
    after: dict | None,
    summary: str = "",
    domain: Domain | None = None,
    team: Team | None = None,
) -> EditRecord | None:
    """Store an edit of ``product`` (or ``domain``, or ``team``) by ``user`` (None =
    system/CLI).

    Returns the new record, or None when nothing changed (no empty history rows).
    """
    changes = diff(before or {}, after or {})
    if not changes and action not in {"create", "delete"}:
        return None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return EditRecord.objects.create(
        product=product,
        domain=domain,
        team=team,
        user=user,
        action=action,
        summary=summary[:500],
        changes=changes,
    )
