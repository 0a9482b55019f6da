"""Creating and revoking API tokens: the one place both the profile page and the API use.

Rules: anyone signed in creates and revokes their own personal tokens; only admins create
service-account tokens (the service account, a user with no password, is created on first
use) and revoke anyone's token. Scopes must be some of ``read write ingest admin``; the
``admin`` scope only for admins. Expiry: 1 to ``MESH_TOKEN_MAX_DAYS`` days (default
``MESH_TOKEN_DEFAULT_DAYS``). Each creation and revocation sends a ``security_event``.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from identity.models import SCOPES, ApiToken
from identity.permissions import is_admin
from identity.signals import send_security_event

SERVICE_PREFIX = "svc-"


def default_days() -> int:
    """``MESH_TOKEN_DEFAULT_DAYS`` (90)."""
    return int(getattr(settings, "MESH_TOKEN_DEFAULT_DAYS", 90))


def max_days() -> int:
    """``MESH_TOKEN_MAX_DAYS`` (365)."""
    return int(getattr(settings, "MESH_TOKEN_MAX_DAYS", 365))


def create_token(actor, name: str, scopes, days=None, service_account: str = ""):
    """Issue a token for ``actor`` (or, admins only, for service account
    ``service_account``: a username, ``svc-`` prefixed if not already).

    Returns ``(token, key)``; show ``key`` once. Raises ValidationError (a message naming
    the field) for bad input and PermissionDenied for what ``actor`` may not do."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the token a name of 1 to 100 characters."})
    scopes = sorted(set(scopes or []))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValidationError({"scopes": f"Pick one or more of: {', '.join(SCOPES)}."})
    if "admin" in scopes and not is_admin(actor):
        raise PermissionDenied("Only admins may create tokens with the admin scope.")
    days = default_days() if days in (None, "") else days
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"expires_in_days": "Give a whole number of days."}) from None
    if not 1 <= days <= max_days():
        raise ValidationError({"expires_in_days": f"Expiry must be 1 to {max_days()} days."})
    owner, kind = actor, "personal"
    if service_account:
        if not is_admin(actor):
            raise PermissionDenied("Only admins may create service-account tokens.")
        username = service_account.strip()
        if not username.startswith(SERVICE_PREFIX):
            username = SERVICE_PREFIX + username
        owner, created = get_user_model().objects.get_or_create(username=username[:150])
        if created:
            owner.set_unusable_password()
            owner.save(update_fields=["password"])
        kind = "service"
    expires = timezone.now() + timedelta(days=days)
    token, key = ApiToken.issue(owner, name, scopes, expires, kind=kind, created_by=actor)
    send_security_event(
        create_token,
        "token_created",
        actor=actor,
        subject=f"{owner.get_username()}:{token.prefix}",
        detail={"token": token.pk, "kind": kind, "scopes": scopes, "expires_at": str(expires)},
    )
    return token, key


def visible_tokens(user):
    """Tokens ``user`` may see and revoke: their own, and for admins every token."""
    base = ApiToken.objects.select_related("user")
    return base if is_admin(user) else base.filter(user=user)


def revoke_token(actor, token: ApiToken) -> None:
    """Revoke ``token`` (idempotent). Raises PermissionDenied unless it is ``actor``'s or
    ``actor`` is an admin."""
    if token.user_id != actor.pk and not is_admin(actor):
        raise PermissionDenied("You may revoke only your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        send_security_event(
            revoke_token,
            "token_revoked",
            actor=actor,
            subject=f"{token.user.get_username()}:{token.prefix}",
            detail={"token": token.pk},
        )
