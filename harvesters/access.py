"""Who may create, change, harvest or delete a source.

Staff and superusers may manage every source; other signed-in users only sources whose
``owner_team`` (a team slug) they are a member of. Team membership lives in a higher
layer (the products app): it is asked through the function named by the setting
``MESH_TEAM_MEMBERSHIP_CHECK`` (``check(user, team_slug) -> bool``); without one only
staff manage sources. Everyone may read sources (their secrets masked, see
:mod:`harvesters.secrets`).
"""

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.permissions import SAFE_METHODS, BasePermission

NOT_ALLOWED = "Only staff or members of the source's owning team may change or harvest it."


def is_staff(user) -> bool:
    """Staff and superusers manage every source."""
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def in_team(user, team_slug: str) -> bool:
    """Whether ``user`` belongs to the team ``team_slug`` (False for an empty slug)."""
    if not team_slug or not (user and user.is_authenticated):
        return False
    check = getattr(settings, "MESH_TEAM_MEMBERSHIP_CHECK", "")
    return bool(check) and bool(import_string(check)(user, team_slug))


def can_manage_source(user, source=None, owner_team: str | None = None) -> bool:
    """Whether ``user`` may change/harvest/delete ``source`` or, for a new source (or a
    new owner), own one for ``owner_team``."""
    if is_staff(user):
        return True
    team = owner_team if owner_team is not None else getattr(source, "owner_team", "")
    return in_team(user, team or "")


class CanManageSource(BasePermission):
    """DRF permission: anyone reads; writes need a signed-in user who may manage the
    source (403 otherwise, 401 when anonymous)."""

    message = NOT_ALLOWED

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_manage_source(request.user, obj)
