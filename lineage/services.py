"""Manual lineage: the one place that adds, ends, hides and un-hides edges by hand
(issue 13, part 4), used by the API, the pages and the admin.

Who may: owners of the downstream asset (a catalog owner of that asset whose name is the
user's user name or e-mail, or a team owner the user is an editing member of, asked through
``MESH_TEAM_EDITOR_CHECK``), stewards (the ``steward`` role) and staff. The rule is
registered with :mod:`identity.permissions` for both edge models
(:func:`register_rules`), so :func:`identity.permissions.can` answers for every caller.

A manual edge has ``provenance=manual``, an author, a note and no origin source, so no
harvest ever updates or ends it (harvests match edges by a key that includes their
source, and end only their own source's edges). Removing a manual edge ends it
(``valid_to``), never deletes it. A harvested edge cannot be removed by hand (the next
harvest would bring it back): it is hidden with a reason instead, which survives
re-harvests (:func:`lineage.history.carry_hidings`).

Errors: :class:`LineageEditError` (a 400 naming the item), :class:`EdgeExists` (409),
``django.core.exceptions.PermissionDenied`` (403).
"""

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from catalog.models import Asset, Field, OutboxEvent, Ownership
from catalog.outbox import schedule_outbox_processing
from identity.permissions import can, has_role, register_rule
from lineage.history import ended_key
from lineage.models import FieldLineageEdge, LineageEdge, Provenance

TRANSFORMATIONS = ("DIRECT", "INDIRECT")
NOTE_MAX = 2000


class LineageEditError(ValueError):
    """A bad manual edit; ``field`` names the item (``upstream``, ``note``, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class EdgeExists(LineageEditError):
    """The same manual edge is already current (``edge`` is it)."""

    def __init__(self, edge) -> None:
        super().__init__("edge", f"this manual edge already exists (id {edge.id})")
        self.edge = edge


# -- permission -----------------------------------------------------------------------
def _in_team(user, team: str) -> bool:
    check = getattr(settings, "MESH_TEAM_EDITOR_CHECK", "")
    return bool(check) and bool(import_string(check)(user, team))


def owns_asset(user, asset: Asset) -> bool:
    """Whether ``user`` is a catalog owner of ``asset``: an owner named after their user
    name or e-mail, or a team owner they are an editing member of."""
    if not (user and user.is_authenticated):
        return False
    names = {user.get_username().lower()}
    if getattr(user, "email", ""):
        names.add(user.email.lower())
    for name, kind in Ownership.objects.filter(asset=asset).values_list(
        "owner__name", "owner__kind"
    ):
        if name.lower() in names or (kind == "team" and _in_team(user, name)):
            return True
    return False


def _edge_rule(user, action: str, obj) -> bool:
    """Rule of :mod:`identity.permissions` for edges: stewards, or owners of the
    downstream asset (``obj`` an edge, saved or not)."""
    if isinstance(obj, type):
        return has_role(user, "steward")
    downstream = obj.downstream if isinstance(obj, LineageEdge) else obj.downstream.asset
    return has_role(user, "steward") or owns_asset(user, downstream)


def register_rules() -> None:
    """Register the edge rule for both edge models (``LineageConfig.ready``)."""
    register_rule(LineageEdge, _edge_rule)
    register_rule(FieldLineageEdge, _edge_rule)


def may_edit(user, edge) -> bool:
    """Whether ``user`` may add, remove, hide or un-hide ``edge`` (admins always)."""
    return can(user, "change", edge)


def _check(user, edge) -> None:
    if not may_edit(user, edge):
        raise PermissionDenied(
            "Only owners of the downstream asset, stewards and staff may edit its lineage."
        )


# -- writes ---------------------------------------------------------------------------
def _touch(urns: set[str]) -> None:
    """Outbox events for the downstream assets (graph projection, hot cache), processed
    after commit."""
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=OutboxEvent.Topic.LINEAGE, key=u) for u in sorted(urns)]
    )
    if not any(func is schedule_outbox_processing for _, func, *_ in connection.run_on_commit):
        transaction.on_commit(schedule_outbox_processing)


def _asset(urn: str, name: str) -> Asset:
    if not urn:
        raise LineageEditError(name, f"{name} is required (an asset URN)")
    asset = Asset.objects.filter(urn=urn, removed=False).first()
    if asset is None:
        raise LineageEditError(name, f"no asset with URN {urn!r}")
    return asset


def _field(asset: Asset, name: str, item: str) -> Field:
    field = Field.objects.filter(asset=asset, name=name).first()
    if field is None:
        raise LineageEditError(item, f"{asset.name} has no column {name!r}")
    return field


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, ("manual", *parts))).encode()).hexdigest()


def _note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise LineageEditError("note", "a note is required: say why this edge exists")
    if len(note) > NOTE_MAX:
        raise LineageEditError("note", f"the note is longer than {NOTE_MAX} characters")
    return note


@transaction.atomic
def add_edge(
    user,
    upstream: str,
    downstream: str,
    note: str,
    *,
    job: str = "",
    upstream_field: str = "",
    downstream_field: str = "",
    transformation: str = "DIRECT",
    subtype: str = "",
):
    """Add a manual edge ``upstream`` → ``downstream`` (asset URNs), through job ``job``
    (a job URN, optional); with both ``upstream_field`` and ``downstream_field`` a
    column edge (``transformation`` DIRECT or INDIRECT, ``subtype`` free text such as
    IDENTITY), which also adds the dataset edge when the two assets are not linked yet.
    Returns the new :class:`LineageEdge` or :class:`FieldLineageEdge`."""
    note = _note(note)
    up, down = _asset(upstream, "upstream"), _asset(downstream, "downstream")
    via = _asset(job, "job") if job else None
    if via is not None and via.kind != "job":
        raise LineageEditError("job", f"{job!r} is not a job")
    if bool(upstream_field) != bool(downstream_field):
        raise LineageEditError(
            "upstream_field" if not upstream_field else "downstream_field",
            "a column edge needs both upstream_field and downstream_field",
        )
    now = timezone.now()
    if not upstream_field:
        if up.id == down.id:
            raise LineageEditError("downstream", "an asset cannot feed itself")
        edge = LineageEdge(upstream=up, downstream=down, job=via)
        _check(user, edge)
        return _save(edge, _key(up.urn, down.urn, job), user, note, now, {down.urn})
    if transformation not in TRANSFORMATIONS:
        raise LineageEditError("transformation", "transformation must be DIRECT or INDIRECT")
    up_field = _field(up, upstream_field, "upstream_field")
    down_field = _field(down, downstream_field, "downstream_field")
    if up_field.id == down_field.id:
        raise LineageEditError("downstream_field", "a column cannot feed itself")
    edge = FieldLineageEdge(
        upstream=up_field,
        downstream=down_field,
        job=via,
        transformation=transformation,
        subtype=(subtype or "").strip().upper()[:32],
    )
    _check(user, edge)
    key = _key(up_field.id, down_field.id, transformation, job)
    saved = _save(edge, key, user, note, now, {down.urn})
    linked = LineageEdge.objects.filter(
        upstream=up, downstream=down, valid_to__isnull=True, hidden_at__isnull=True
    ).exists()
    if not linked and up.id != down.id:
        dataset = LineageEdge(upstream=up, downstream=down, job=via)
        _save(dataset, _key(up.urn, down.urn, job), user, note, now, set())
    return saved


def _save(edge, key: str, user, note: str, now, urns: set[str]):
    existing = type(edge).objects.filter(key=key).first()
    if existing is not None:
        raise EdgeExists(existing)
    edge.key = key
    edge.provenance = Provenance.MANUAL
    edge.author = user if user and user.is_authenticated else None
    edge.note = note
    edge.origin = None
    edge.first_seen = edge.last_seen = edge.valid_from = now
    edge.save()
    _touch(urns)
    return edge


def _downstream_urn(edge) -> str:
    return edge.downstream.urn if isinstance(edge, LineageEdge) else edge.downstream.asset.urn


@transaction.atomic
def remove_edge(user, edge) -> None:
    """End the manual ``edge`` now (kept with ``valid_to``, shown by ``as_of`` before
    now). A harvested edge is hidden instead (LineageEditError); an ended one is a
    LineageEditError too."""
    _check(user, edge)
    if edge.provenance != Provenance.MANUAL:
        raise LineageEditError(
            "edge",
            "a harvested edge cannot be removed (the next harvest would bring it back); hide it",
        )
    if edge.valid_to is not None:
        raise LineageEditError("edge", "this edge has already ended")
    type(edge).objects.filter(id=edge.id).update(
        valid_to=timezone.now(), ended_by=user, key=ended_key()
    )
    _touch({_downstream_urn(edge)})


@transaction.atomic
def hide_edge(user, edge, reason: str) -> None:
    """Hide the harvested ``edge`` with ``reason`` (required): lineage and impact leave
    it out unless asked for hidden edges; re-harvests keep it hidden."""
    _check(user, edge)
    reason = (reason or "").strip()
    if not reason:
        raise LineageEditError("reason", "a reason is required to hide an edge")
    if len(reason) > NOTE_MAX:
        raise LineageEditError("reason", f"the reason is longer than {NOTE_MAX} characters")
    if edge.provenance == Provenance.MANUAL:
        raise LineageEditError("edge", "a manual edge is removed, not hidden")
    if edge.valid_to is not None:
        raise LineageEditError("edge", "this edge has ended; only current edges are hidden")
    type(edge).objects.filter(id=edge.id).update(
        hidden_at=timezone.now(), hidden_by=user, hidden_reason=reason
    )
    _touch({_downstream_urn(edge)})


@transaction.atomic
def unhide_edge(user, edge) -> None:
    """Show the hidden ``edge`` again (no-op when it is not hidden)."""
    _check(user, edge)
    type(edge).objects.filter(id=edge.id).update(hidden_at=None, hidden_by=None, hidden_reason="")
    _touch({_downstream_urn(edge)})
