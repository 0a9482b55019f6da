"""Team memberships from single sign-on: receives :data:`identity.signals.groups_claimed`.

A group ``<MESH_OIDC_TEAM_PREFIX><team slug>[:<role>]`` (prefix ``team:`` by default,
e.g. ``team:sales-eng:owner``) makes the user a member of that existing team with that
role (``member`` when none is given). Unknown team slugs are ignored (teams are created
by staff). With ``MESH_OIDC_TEAMS_AUTHORITATIVE`` true, memberships no group grants any
more are removed. Each change sends ``security_event`` ``role_changed``.
"""

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from identity.signals import groups_claimed, send_security_event
from products.models import Team, TeamMembership


def parse_team_groups(groups: list[str]) -> dict[str, str]:
    """``{team slug: role}`` from the groups carrying the team prefix."""
    prefix = getattr(settings, "MESH_OIDC_TEAM_PREFIX", "team:")
    wanted: dict[str, str] = {}
    for group in groups:
        if prefix and group.startswith(prefix):
            slug, _, role = group[len(prefix) :].partition(":")
            if slug:
                wanted[slug] = (role or "member")[:64]
    return wanted


@receiver(groups_claimed, dispatch_uid="products-team-memberships")
def sync_memberships(sender, user, groups, **kwargs) -> None:
    """Create, update (role) and, when authoritative, remove ``user``'s memberships."""
    wanted = parse_team_groups(groups)
    teams = {t.slug: t for t in Team.objects.filter(slug__in=wanted)}
    current = {
        m.team.slug: m for m in TeamMembership.objects.filter(user=user).select_related("team")
    }
    changes = []
    with transaction.atomic():
        for slug, role in wanted.items():
            if slug not in teams:
                continue
            membership = current.get(slug)
            if membership is None:
                TeamMembership.objects.create(team=teams[slug], user=user, role=role)
                changes.append((slug, None, role))
            elif membership.role != role:
                changes.append((slug, membership.role, role))
                membership.role = role
                membership.save(update_fields=["role"])
        if getattr(settings, "MESH_OIDC_TEAMS_AUTHORITATIVE", False):
            for slug, membership in current.items():
                if slug not in wanted:
                    changes.append((slug, membership.role, None))
                    membership.delete()
    for slug, before, after in changes:
        send_security_event(
            sync_memberships,
            "role_changed",
            actor=None,
            subject=user.get_username(),
            detail={"team": slug, "from": before, "to": after, "by": "oidc groups"},
        )
