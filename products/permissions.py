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
