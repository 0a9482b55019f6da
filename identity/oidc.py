"""OpenID Connect sign-on (mozilla-django-oidc), configured by ``MESH_OIDC_*`` variables.

:func:`discover` fills the provider endpoints from ``<issuer>/.well-known/openid-configuration``
(OpenID Connect Discovery 1.0) when they are not set one by one. :class:`CatalogOIDCBackend`
creates or updates the user from the claims (username from ``MESH_OIDC_USERNAME_CLAIM``,
email, given/family name), maps the groups claim (``MESH_OIDC_GROUPS_CLAIM``) to global
roles (``MESH_OIDC_ROLE_GROUPS``) and sends :data:`identity.signals.groups_claimed` so the
products app maps ``team:<slug>[:<role>]`` groups to team memberships.
"""

import json
import logging
import urllib.request

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from identity.models import GlobalRole, RoleAssignment
from identity.signals import groups_claimed

logger = logging.getLogger(__name__)

ENDPOINTS = {
    "authorization_endpoint": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "OIDC_OP_TOKEN_ENDPOINT",
    "userinfo_endpoint": "OIDC_OP_USER_ENDPOINT",
    "jwks_uri": "OIDC_OP_JWKS_ENDPOINT",
    "end_session_endpoint": "OIDC_OP_LOGOUT_ENDPOINT",
}


def discover(timeout: float = 10.0) -> None:
    """Set the ``OIDC_OP_*`` settings still empty from the issuer's discovery document.

    Raises RuntimeError naming the URL and the reason when the document cannot be read."""
    issuer = settings.MESH_OIDC_ISSUER
    if all(getattr(settings, name, "") for name in ENDPOINTS.values()):
        return
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https/http issuer)
            document = json.load(response)
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"MESH_OIDC_ISSUER: cannot read {url}: {exc}") from exc
    for key, name in ENDPOINTS.items():
        if not getattr(settings, name, "") and document.get(key):
            setattr(settings, name, document[key])


def discover_quietly() -> None:
    """:func:`discover` at start-up: a provider that is down is logged (ERROR), not fatal,
    so ``migrate`` and the pages still work; sign-in retries it."""
    try:
        discover(timeout=5.0)
    except RuntimeError as exc:
        logger.error("single sign-on: %s (retried at the next sign-in)", exc)


def authenticate_view(request):
    """``/oidc/authenticate/``: discover the provider if start-up could not, then
    mozilla-django-oidc's redirect to the authorization endpoint; 503 with the reason
    when the provider cannot be reached."""
    try:
        discover()
    except RuntimeError as exc:
        logger.error("single sign-on: %s", exc)
        return HttpResponse(
            "The single sign-on provider cannot be reached; try again later.", status=503
        )
    return OIDCAuthenticationRequestView.as_view()(request)


def role_groups() -> dict[str, str]:
    """``MESH_OIDC_ROLE_GROUPS`` parsed: ``{group: global role}``."""
    mapping = {}
    for item in settings.MESH_OIDC_ROLE_GROUPS.split(","):
        role, _, group = item.partition("=")
        if role.strip() in GlobalRole.values and group.strip():
            mapping[group.strip()] = role.strip()
    return mapping


def claimed_groups(claims: dict) -> list[str]:
    """The groups claim as a list of strings (a lone string becomes a list; Keycloak's
    leading ``/`` of group paths is dropped)."""
    value = claims.get(settings.MESH_OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = [value]
    return [str(g).lstrip("/") for g in value if g]


def sync_global_roles(user, groups: list[str]) -> None:
    """Make ``user``'s global roles exactly those the groups grant (each change sends
    ``role_changed``, see :mod:`identity.receivers`). Roles granted by hand stay only when no group
    mapping is configured."""
    mapping = role_groups()
    if not mapping:
        return
    wanted = {mapping[g] for g in groups if g in mapping}
    held = set(user.global_roles.values_list("role", flat=True))
    for role in wanted - held:
        RoleAssignment.objects.create(user=user, role=role)
    for assignment in user.global_roles.filter(role__in=held - wanted):
        assignment.delete()  # one by one: each sends its post_delete
    is_staff = "admin" in wanted
    if user.is_staff != is_staff and not user.is_superuser:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


class CatalogOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc backend: users keyed by the username claim; groups mapped."""

    def filter_users_by_claims(self, claims):
        """Users whose username is the claim's (not the email, which may change)."""
        username = claims.get(settings.MESH_OIDC_USERNAME_CLAIM) or claims.get("sub")
        if not username:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=username)

    def verify_claims(self, claims) -> bool:
        """A sign-in needs a username (or ``sub``) claim."""
        return bool(claims.get(settings.MESH_OIDC_USERNAME_CLAIM) or claims.get("sub"))

    def create_user(self, claims):
        """First sign-in: a user with no password, then :meth:`update_user`."""
        username = claims.get(settings.MESH_OIDC_USERNAME_CLAIM) or claims["sub"]
        user = self.UserModel.objects.create_user(username=username[:150])
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        """Copy email and names, sync global roles and send ``groups_claimed``."""
        user.email = claims.get("email", user.email) or ""
        user.first_name = (claims.get("given_name") or user.first_name or "")[:150]
        user.last_name = (claims.get("family_name") or user.last_name or "")[:150]
        user.save(update_fields=["email", "first_name", "last_name"])
        groups = claimed_groups(claims)
        with transaction.atomic():
            sync_global_roles(user, groups)
            groups_claimed.send(sender=CatalogOIDCBackend, user=user, groups=groups)
        return user
