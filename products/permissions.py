"""Who may edit what: members of the owning team, and admins (staff or superusers).

Everyone signed in may read. The same functions back the web forms and the API's
:class:`IsOwnerOrReadOnly` object permission.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from products.models import SLO, DataProduct, Domain, Team, TeamMembership


def is_admin(user) -> bool:
    """Staff and superusers may edit everything."""
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def in_team(user, team: Team | None) -> bool:
    """Whether ``user`` is a member of ``team`` (False for None or anonymous)."""
    if team is None or not (user and user.is_authenticated):
        return False
    return TeamMembership.objects.filter(team=team, user=user).exists()


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
        Team.objects.filter(memberships__user=user)
        if user.is_authenticated
        else Team.objects.none()
    )


class IsOwnerOrReadOnly(BasePermission):
    """Signed-in users read; only owning-team members and admins write (403 otherwise)."""

    message = "Only members of the owning team (or admins) may change this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_edit(request.user, obj)


def creatable_parents(user):
    """Domains ``user`` may create sub-domains under: all for staff, else those whose
    owner team ``user`` is a member of."""
    if is_admin(user):
        return Domain.objects.all()
    if not user.is_authenticated:
        return Domain.objects.none()
    return Domain.objects.filter(owner_team__memberships__user=user).distinct()


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
