"""Who approves access: the one place of the approver rule.

For a step of kind ``team`` (the default): members of the product's owning team with
an approver role (:data:`APPROVER_ROLES`: ``owner``, ``steward``); when that team has
none, owners of the product domain's owner team (:data:`DOMAIN_OWNER_ROLES`); staff
always. For ``domain:<role>``: members of the domain's owner team with that role; staff
always. Nobody approves their own request.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from access.models import AccessRequest, PortAccessPolicy, State
from products.models import OutputPort, TeamMembership
from products.permissions import is_admin

APPROVER_ROLES = ("owner", "steward")
DOMAIN_OWNER_ROLES = ("owner",)
DEFAULT_STEP = {"name": "owning team", "approvers": "team"}
DATA_PROTECTION_STEP = {"name": "data protection", "approvers": "domain:data-protection"}


def steps_of(policy: PortAccessPolicy | None) -> list[dict]:
    """The approval steps of a port's policy (see :class:`access.models.PortAccessPolicy`)."""
    if policy is None:
        return [DEFAULT_STEP]
    steps = [s for s in (policy.steps or []) if isinstance(s, dict) and s.get("approvers")]
    if not steps:
        steps = [DEFAULT_STEP] + ([DATA_PROTECTION_STEP] if policy.personal_data else [])
    return steps


def policy_of(port: OutputPort) -> PortAccessPolicy | None:
    """The port's policy row, or None (defaults)."""
    try:
        return port.access_policy
    except PortAccessPolicy.DoesNotExist:
        return None


def _members(team_id, roles) -> QuerySet:
    return TeamMembership.objects.filter(team_id=team_id, role__in=roles)


def may_approve_step(user, port: OutputPort, kind: str) -> bool:
    """Whether ``user`` may approve a step of ``kind`` for a request on ``port``."""
    if not (user and user.is_authenticated):
        return False
    if is_admin(user):
        return True
    product = port.product
    domain_team = product.domain.owner_team_id if product.domain_id else None
    if kind.startswith("domain:"):
        role = kind.split(":", 1)[1]
        return bool(domain_team) and _members(domain_team, [role]).filter(user=user).exists()
    team = product.owner_team_id
    if team and _members(team, APPROVER_ROLES).filter(user=user).exists():
        return True
    if team and _members(team, APPROVER_ROLES).exists():
        return False  # the owning team has approvers: the domain fallback does not apply
    return bool(domain_team) and (
        _members(domain_team, DOMAIN_OWNER_ROLES).filter(user=user).exists()
    )


def can_approve(user, request: AccessRequest) -> bool:
    """Whether ``user`` may approve, deny or act on ``request``'s current step (never the
    consumer themself)."""
    if user is None or user.pk == request.consumer_id:
        return False
    return may_approve_step(user, request.port, request.step_kind)


def can_manage_grant(user, request: AccessRequest) -> bool:
    """Whether ``user`` may revoke, extend or retry a grant: approvers of its first
    step (owning team, domain fallback, staff)."""
    return may_approve_step(user, request.port, "team")


def _team_rule(user) -> Q:
    """``Q`` over :class:`AccessRequest`: the owning-team rule names ``user``."""
    team = "port__product__owner_team"
    domain_team = "port__product__domain__owner_team"
    mine = TeamMembership.objects.filter(user=user)
    owning = Exists(mine.filter(team_id=OuterRef(f"{team}_id"), role__in=APPROVER_ROLES))
    team_has_approvers = Exists(
        TeamMembership.objects.filter(team_id=OuterRef(f"{team}_id"), role__in=APPROVER_ROLES)
    )
    domain_owner = Exists(
        mine.filter(team_id=OuterRef(f"{domain_team}_id"), role__in=DOMAIN_OWNER_ROLES)
    )
    return owning | (~team_has_approvers & domain_owner)


def approvable_filter(user) -> Q:
    """A ``Q`` over :class:`AccessRequest` matching requests whose current step
    ``user`` may act on (one SQL expression, constant in the number of rows)."""
    if is_admin(user):
        return ~Q(consumer=user)
    domain_team = "port__product__domain__owner_team"
    mine = TeamMembership.objects.filter(user=user)
    domain_roles = list(
        mine.filter(team__domains__isnull=False).values_list("role", flat=True).distinct()
    )
    q = Q(step_kind="team") & _team_rule(user)
    for role in domain_roles:
        q |= Q(step_kind=f"domain:{role}") & Exists(
            mine.filter(team_id=OuterRef(f"{domain_team}_id"), role=role)
        )
    return q & ~Q(consumer=user)


def to_approve(user) -> QuerySet:
    """Open requests waiting for ``user``'s decision (empty for anonymous users)."""
    if not (user and user.is_authenticated):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(approvable_filter(user), state=State.REQUESTED)


def managed_requests(user) -> QuerySet:
    """Requests and grants on ports whose owning-team rule names ``user`` (staff: all):
    the ones ``user`` may revoke, extend or retry."""
    if not (user and user.is_authenticated):
        return AccessRequest.objects.none()
    if is_admin(user):
        return AccessRequest.objects.all()
    return AccessRequest.objects.filter(_team_rule(user))
