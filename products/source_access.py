"""Team membership for source ownership (``MESH_TEAM_MEMBERSHIP_CHECK``).

The harvesters app names a source's owning team by slug; this function answers whether
a user is in it (see :mod:`harvesters.access`).
"""

from products.models import TeamMembership


def is_team_member(user, team_slug: str) -> bool:
    """Whether ``user`` is a member of the team with slug ``team_slug``."""
    if not team_slug or not (user and user.is_authenticated):
        return False
    return TeamMembership.objects.filter(team__slug=team_slug, user=user).exists()


def is_team_editor(user, team_slug: str) -> bool:
    """Whether ``user`` is a member of the team ``team_slug`` with an editing team role
    (``MESH_TEAM_EDIT_ROLES``): ``MESH_TEAM_EDITOR_CHECK``, asked by lower apps (lineage:
    owners of an asset owned by a team may edit its lineage)."""
    from django.conf import settings

    if not team_slug or not (user and user.is_authenticated):
        return False
    roles = list(getattr(settings, "MESH_TEAM_EDIT_ROLES", ["owner", "steward"]))
    return TeamMembership.objects.filter(team__slug=team_slug, user=user, role__in=roles).exists()
