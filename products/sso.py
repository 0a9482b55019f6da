"""Team memberships from single sign-on: receives :data:`identity.signals.groups_claimed`.

A group ``<MESH_OIDC_TEAM_PREFIX><team slug>[:<role>]`` (prefix ``team:`` by default,
e.g. ``team:sales-eng:owner``) makes the user a member of that existing team with that
role (``member`` when none is given). Unknown team slugs are ignored (teams are created
by staff). With ``MESH_OIDC_TEAMS_AUTHORITATIVE`` true, memberships no group grants any
more are removed.

Every membership change, from sign-on, the team page or the admin, sends
``security_event`` ``role_changed`` (model signals below).
"""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
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
    with transaction.atomic():
        for slug, role in wanted.items():
            if slug not in teams:
                continue
            membership = current.get(slug)
            if membership is None:
                TeamMembership.objects.create(team=teams[slug], user=user, role=role)
            elif membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])
        if getattr(settings, "MESH_OIDC_TEAMS_AUTHORITATIVE", False):
            for slug, membership in current.items():
                if slug not in wanted:
                    membership.delete()


@receiver(pre_save, sender=TeamMembership, dispatch_uid="products-membership-before")
def remember_role(sender, instance, **kwargs) -> None:
    """Keep the stored role to compare after the save."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    stored = TeamMembership.objects.filter(pk=instance.pk).values_list("role", flat=True)
    instance._stored_role = stored.first() if instance.pk else None


@receiver(post_save, sender=TeamMembership, dispatch_uid="products-membership-saved")
def membership_saved(sender, instance, created, **kwargs) -> None:
    """A member added or their team role changed: ``role_changed``."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    before = getattr(instance, "_stored_role", None)
    if created or before != instance.role:
        send_security_event(
            sender,
            "role_changed",
            subject=instance.user.get_username(),
            detail={"team": instance.team.slug, "from": before, "to": instance.role},
        )


@receiver(post_delete, sender=TeamMembership, dispatch_uid="products-membership-deleted")
def membership_deleted(sender, instance, **kwargs) -> None:
    """A member removed from a team: ``role_changed`` (to None)."""
    send_security_event(
        sender,
        "role_changed",
        subject=instance.user.get_username(),
        detail={"team": instance.team.slug, "from": instance.role, "to": None},
    )
