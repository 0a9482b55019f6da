"""Who may edit what: members of the owning team holding an editing team role
(``MESH_TEAM_EDIT_ROLES``: owner, steward), and admins.

These are the products app's object rules; :func:`register` puts them into the one
permission module (:mod:`identity.permissions`), which the web forms, the API's
:class:`IsOwnerOrReadOnly` and the admin consult. Reads follow ``MESH_PUBLIC_READ``.
"""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from identity.permissions import action_of, can, may_read, register_role_provider, register_rule
from identity.permissions import is_admin as identity_is_admin
from products.models import (
    SLO,
    DataContract,
    DataProduct,
    Domain,
    InputPort,
    OutputPort,
    Team,
    TeamMembership,
)


def edit_roles() -> list[str]:
    """Team roles that may edit (``MESH_TEAM_EDIT_ROLES``, default owner, steward)."""
    return list(getattr(settings, "MESH_TEAM_EDIT_ROLES", ["owner", "steward"]))


def is_admin(user) -> bool:
    """Admins (staff, superusers, the global ``admin`` role) may edit everything."""
    return identity_is_admin(user)


def in_team(user, team: Team | None) -> bool:
    """Whether ``user`` is a member of ``team`` with an editing role (False for None or
    anonymous)."""
    if team is None or not (user and user.is_authenticated):
        return False
    return TeamMembership.objects.filter(team=team, user=user, role__in=edit_roles()).exists()


def can_edit(user, obj) -> bool:
    """Whether ``user`` may change ``obj`` (a DataProduct, Domain, SLO or port-like
    object with ``.product``)."""
    if is_admin(user):
        return True
    if isinstance(obj, DataProduct):
        return in_team(user, obj.owner_team)
    if isinstance(obj, Domain):
        return in_team(user, obj.owner_team)
    if isinstance(obj, SLO):
        return in_team(user, obj.port.product.owner_team)
    product = getattr(obj, "product", None)
    return product is not None and in_team(user, product.owner_team)


def editable_teams(user):
    """Teams ``user`` may assign as owners (all for admins, their own otherwise)."""
    if is_admin(user):
        return Team.objects.all()
    return (
        Team.objects.filter(memberships__user=user, memberships__role__in=edit_roles()).distinct()
        if user.is_authenticated
        else Team.objects.none()
    )


class IsOwnerOrReadOnly(BasePermission):
    """Reads per ``MESH_PUBLIC_READ``; writes by owning-team editors and admins (401 for
    anonymous, 403 otherwise), judged by :func:`identity.permissions.can`."""

    message = "Only members of the owning team (or admins) may change this."
    follows_read_policy = True  # reads per MESH_PUBLIC_READ (the OpenAPI schema says so)

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return may_read(request.user)
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can(request.user, action_of(request.method), obj)


def creatable_parents(user):
    """Domains ``user`` may create sub-domains under: all for staff, else those whose
    owner team ``user`` is a member of."""
    if is_admin(user):
        return Domain.objects.all()
    if not user.is_authenticated:
        return Domain.objects.none()
    return Domain.objects.filter(
        owner_team__memberships__user=user, owner_team__memberships__role__in=edit_roles()
    ).distinct()


def can_create_domain(user, parent: Domain | None = None) -> bool:
    """Whether ``user`` may create a domain (under ``parent`` when given): staff always,
    members of a domain's owner team for sub-domains of that domain."""
    if is_admin(user):
        return True
    parents = creatable_parents(user)
    return parents.filter(pk=parent.pk).exists() if parent else parents.exists()


def may_move_domain(user, current_parent_id: int | None, parent: Domain | None) -> bool:
    """Whether ``user`` may put a domain now under ``current_parent_id`` (a Domain id or
    None) under ``parent``: keeping its parent is always allowed; a new parent must be one
    ``user`` may create sub-domains under (staff: any; others: a domain their team owns;
    a root domain needs staff)."""
    if (parent.pk if parent else None) == current_parent_id:
        return True
    if is_admin(user):
        return True
    return parent is not None and creatable_parents(user).filter(pk=parent.pk).exists()


def _object_rule(user, action: str, obj) -> bool:
    """Products' rule for :mod:`identity.permissions`: creating needs a team to own the
    new object; anything else is :func:`can_edit`."""
    if isinstance(obj, type):
        return editable_teams(user).exists()
    return can_edit(user, obj)


def _contract_rule(user, action: str, obj) -> bool:
    """A contract may be stored by anyone signed in while no port names it, and then
    replaced only by editors of every product bound to it."""
    if isinstance(obj, type):
        return True
    products = DataProduct.objects.filter(output_ports__data_contract=obj).distinct()
    return all(can_edit(user, p) for p in products)


def team_roles(user) -> set[str]:
    """Role provider: ``owner`` for an editing member of any team, ``steward`` for a
    team steward."""
    held = set(TeamMembership.objects.filter(user=user).values_list("role", flat=True))
    provided = set()
    if held & set(edit_roles()):
        provided.add("owner")
    if "steward" in held:
        provided.add("steward")
    return provided


def register() -> None:
    """Register the products rules and team roles with :mod:`identity.permissions`
    (called from ``ProductsConfig.ready``)."""
    for model in (DataProduct, Domain, SLO, OutputPort, InputPort, Team):
        register_rule(model, _object_rule)
    register_rule(DataContract, _contract_rule)
    register_role_provider(team_roles)
