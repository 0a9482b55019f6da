"""Who hears about an event: explicit subscriptions, automatic ones, owners and mutes.

Targets are ``(kind, id)`` pairs (:class:`notifications.models.TargetKind`).
:func:`expand_targets` widens them along the mesh: an asset reaches the output ports
publishing it, a port its product and asset, a product its domain. Automatic
subscriptions (never stored): the members of a product's owning team and its named
members (ODPS ``team.members``), the owning teams of products that consume it (input
ports naming the product or a port's asset), consumers with a live grant on a port
(:data:`access.models.LIVE_GRANT_STATES`), and the users and teams that own an asset in
the catalog (:class:`catalog.models.Ownership`, matched by username, e-mail or team slug).
A muted :class:`~notifications.models.Subscription` row of a user (or team) on any of
the expanded targets removes that user (or that team's contribution).

Every function runs a fixed number of queries whatever the number of recipients.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q

from access.models import LIVE_GRANT_STATES, AccessRequest
from catalog.models import Ownership
from notifications.models import Subscription, TargetKind, Webhook
from products.models import (
    DataProduct,
    InputPort,
    OutputPort,
    ProductMember,
    Team,
    TeamMembership,
)


@dataclass
class Recipients:
    """The users (ids) and webhooks (ids) an event goes to, and why each user is there
    (``reasons``: user id → ``explicit`` / ``owner`` / ``consumer`` / ``named``)."""

    users: set[int] = field(default_factory=set)
    webhooks: set[int] = field(default_factory=set)
    reasons: dict[int, str] = field(default_factory=dict)


def expand_targets(targets) -> set[tuple[str, int]]:
    """``targets`` plus the ports publishing each asset, each port's product and asset,
    and each product's domain. Three queries at most."""
    out = {(str(k), int(i)) for k, i in targets if i is not None}
    assets = {i for k, i in out if k == TargetKind.ASSET}
    if assets:
        for port_id, product_id in OutputPort.objects.filter(asset_id__in=assets).values_list(
            "id", "product_id"
        ):
            out |= {(TargetKind.PORT, port_id), (TargetKind.PRODUCT, product_id)}
    ports = {i for k, i in out if k == TargetKind.PORT}
    if ports:
        for product_id, asset_id in OutputPort.objects.filter(id__in=ports).values_list(
            "product_id", "asset_id"
        ):
            out.add((TargetKind.PRODUCT, product_id))
            if asset_id:
                out.add((TargetKind.ASSET, asset_id))
    products = {i for k, i in out if k == TargetKind.PRODUCT}
    if products:
        for domain_id in DataProduct.objects.filter(
            id__in=products, domain__isnull=False
        ).values_list("domain_id", flat=True):
            out.add((TargetKind.DOMAIN, domain_id))
    return out


def _target_q(targets) -> Q:
    q = Q(pk__in=[])
    by_kind: dict[str, set[int]] = {}
    for kind, target_id in targets:
        by_kind.setdefault(kind, set()).add(target_id)
    for kind, ids in by_kind.items():
        q |= Q(target_kind=kind, target_id__in=ids)
    return q


def _wants(event_types, event_type: str) -> bool:
    return not event_types or event_type in event_types


def automatic(targets) -> tuple[set[int], set[int], dict[int, str]]:
    """Automatic subscribers of expanded ``targets``: ``(user ids, team ids, reasons)``."""
    products = {i for k, i in targets if k == TargetKind.PRODUCT}
    ports = {i for k, i in targets if k == TargetKind.PORT}
    assets = {i for k, i in targets if k == TargetKind.ASSET}
    users: dict[int, str] = {}
    teams: set[int] = set()
    if products:
        teams |= set(
            DataProduct.objects.filter(id__in=products, owner_team__isnull=False).values_list(
                "owner_team_id", flat=True
            )
        )
        for user_id in ProductMember.objects.filter(
            product_id__in=products, user__isnull=False
        ).values_list("user_id", flat=True):
            users.setdefault(user_id, "owner")
        port_assets = set(
            OutputPort.objects.filter(product_id__in=products, asset__isnull=False).values_list(
                "asset_id", flat=True
            )
        )
        teams |= set(
            InputPort.objects.filter(
                Q(upstream_product_id__in=products) | Q(asset_id__in=port_assets),
                product__owner_team__isnull=False,
            ).values_list("product__owner_team_id", flat=True)
        )
    if ports:
        for user_id in AccessRequest.objects.filter(
            port_id__in=ports, state__in=LIVE_GRANT_STATES
        ).values_list("consumer_id", flat=True):
            users.setdefault(user_id, "consumer")
    if assets:
        names = set(
            Ownership.objects.filter(asset_id__in=assets).values_list("owner__name", flat=True)
        )
        if names:
            teams |= set(Team.objects.filter(slug__in=names).values_list("id", flat=True))
            for user_id in (
                get_user_model()
                .objects.filter(Q(username__in=names) | Q(email__in=names))
                .values_list("id", flat=True)
            ):
                users.setdefault(user_id, "owner")
    return set(users), teams, users


def resolve(event_type: str, targets, extra_users=()) -> Recipients:
    """Everyone an event of ``event_type`` about ``targets`` goes to, plus
    ``extra_users`` (ids: e.g. a requester, the downstream owners of an incident): explicit
    subscribers whose ``event_types`` include it, automatic subscribers, minus mutes;
    and the webhooks of those users and teams plus the catalog-wide webhooks taking the
    type. Extra users are never muted away (they are addressed directly)."""
    expanded = expand_targets(targets)
    users: dict[int, str] = {}
    teams: set[int] = set()
    muted_users: set[int] = set()
    muted_teams: set[int] = set()
    if expanded:
        for user_id, team_id, event_types, muted in Subscription.objects.filter(
            _target_q(expanded)
        ).values_list("user_id", "team_id", "event_types", "muted"):
            if muted:
                (muted_users if user_id else muted_teams).add(user_id or team_id)
            elif _wants(event_types, event_type):
                if user_id:
                    users.setdefault(user_id, "explicit")
                else:
                    teams.add(team_id)
    auto_users, auto_teams, reasons = automatic(expanded)
    for user_id in auto_users:
        users.setdefault(user_id, reasons[user_id])
    teams = (teams | auto_teams) - muted_teams
    if teams:
        for user_id in TeamMembership.objects.filter(team_id__in=teams).values_list(
            "user_id", flat=True
        ):
            users.setdefault(user_id, "team")
    for user_id in muted_users:
        users.pop(user_id, None)
    for user_id in extra_users:
        users[user_id] = "named"
    hooks = set()
    for hook_id, user_id, team_id, event_types in Webhook.objects.filter(enabled=True).values_list(
        "id", "user_id", "team_id", "event_types"
    ):  # few rows: filter here
        mine = user_id in users if user_id else (team_id in teams if team_id else True)
        if mine and _wants(event_types, event_type):
            hooks.add(hook_id)
    return Recipients(set(users), hooks, users)


def automatic_for(user) -> list[dict]:
    """The output ports ``user`` is subscribed to automatically: ``[{"port", "reason"}]``
    with reason ``owner`` (owning team or named member), ``consumer team`` (a team of
    theirs owns a product reading it) or ``grant`` (a live access grant). Four queries."""
    teams = set(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
    reasons: dict[int, str] = {}
    owned = set(
        DataProduct.objects.filter(Q(owner_team_id__in=teams) | Q(members__user=user)).values_list(
            "id", flat=True
        )
    )
    consumed = InputPort.objects.filter(product__owner_team_id__in=teams).values_list(
        "upstream_product_id", "asset_id"
    )
    consumed = list(consumed)
    consumed_products = {p for p, _ in consumed if p}
    consumed_assets = {a for _, a in consumed if a}
    ports = (
        OutputPort.objects.filter(
            Q(product_id__in=owned | consumed_products)
            | Q(asset_id__in=consumed_assets)
            | Q(access_requests__consumer=user, access_requests__state__in=LIVE_GRANT_STATES)
        )
        .select_related("product")
        .distinct()
    )
    granted = set(
        AccessRequest.objects.filter(consumer=user, state__in=LIVE_GRANT_STATES).values_list(
            "port_id", flat=True
        )
    )
    rows = []
    for port in ports:
        if port.product_id in owned:
            reasons[port.pk] = "owner"
        elif port.pk in granted:
            reasons[port.pk] = "grant"
        else:
            reasons[port.pk] = "consumer team"
        rows.append({"port": port, "reason": reasons[port.pk]})
    return sorted(rows, key=lambda r: (r["port"].product.name, r["port"].name))
