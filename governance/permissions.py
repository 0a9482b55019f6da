"""Who may curate an asset and decide on classifications: its owners, stewards, admins.

* admins (staff, superusers) and stewards (the global ``steward`` role or a team
  steward, see :func:`identity.permissions.has_role`) curate every asset;
* owners: a user named as an owner of the asset (``Ownership``: their user name or
  e-mail, harvested or curated), an editing member (``MESH_TEAM_EDIT_ROLES``) of a team
  named as an owner (its slug), or of the team owning a data product one of whose ports
  is the asset.

:func:`register` puts :func:`asset_rule` into :mod:`identity.permissions` for
``catalog.Asset``, so pages, API, admin and commands ask ``can(user, "curate", asset)``.
"""

from django.db.models import Q

from catalog.models import Asset, Ownership
from identity.permissions import can, has_role, is_admin, register_rule
from products.models import InputPort, OutputPort
from products.permissions import editable_teams


def may_curate(user, asset: Asset) -> bool:
    """Whether ``user`` may edit the curated values / classes of ``asset``."""
    return can(user, "curate", asset)


def is_steward(user) -> bool:
    """Stewards (and admins) manage the glossary and decide on any proposal."""
    return bool(user and user.is_authenticated) and (is_admin(user) or has_role(user, "steward"))


def asset_rule(user, action: str, asset) -> bool:
    """The rule registered for ``catalog.Asset`` (any action; ``asset`` may be the
    class for ``add``: stewards only)."""
    if is_steward(user):
        return True
    if isinstance(asset, type):
        return False
    teams = list(editable_teams(user).values_list("id", "slug"))
    names = {user.get_username(), user.email} - {""}
    names |= {slug for _, slug in teams}
    if Ownership.objects.filter(asset=asset, owner__name__in=names).exists():
        return True
    team_ids = [pk for pk, _ in teams]
    if not team_ids:
        return False
    port = Q(asset=asset, product__owner_team_id__in=team_ids)
    return OutputPort.objects.filter(port).exists() or InputPort.objects.filter(port).exists()


def register() -> None:
    """Register :func:`asset_rule` for ``catalog.Asset`` (from ``GovernanceConfig.ready``)."""
    register_rule(Asset, asset_rule)
