"""API token authentication: hashed, scoped, expiring tokens (:class:`identity.models.ApiToken`).

Accepts ``Authorization: Bearer <key>`` (RFC 6750; what OpenLineage clients send for an
API key) and ``Authorization: Token <key>``. Keys DRF issued before (``authtoken``) are
left to DRF's ``TokenAuthentication`` until ``manage.py migrate_api_tokens`` moves them
here (same key, stored hashed from then on).

Scopes: a safe method needs ``read``; a view registered with :func:`register_view_scope`
(or with a ``token_scope`` attribute) needs that scope for writes (``ingest`` for
OpenLineage and harvest pushes); any other write needs ``write``. A token lacking the
scope gets 403 naming it. A token without ``admin`` never acts with staff powers.
"""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import SAFE_METHODS

from identity.models import ApiToken

KEYWORDS = {b"bearer", b"token"}
_VIEW_SCOPES: dict[type, str] = {}


def register_view_scope(view_class: type, scope: str) -> None:
    """Writes to ``view_class`` (and subclasses) need token scope ``scope``."""
    _VIEW_SCOPES[view_class] = scope


def required_scope(request) -> str:
    """The scope ``request`` needs: ``read`` for safe methods, else the view's."""
    if request.method in SAFE_METHODS:
        return "read"
    view = (getattr(request, "parser_context", None) or {}).get("view")
    scope = getattr(view, "token_scope", None)
    if scope is None and view is not None:
        scope = next((s for cls, s in _VIEW_SCOPES.items() if isinstance(view, cls)), None)
    return scope or "write"


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate an :class:`ApiToken`; ``request.auth`` is the token.

    Returns None (next authenticator) for no header or an unknown legacy key; 401 for a
    revoked, expired or unknown ``mcat_`` key; 403 when the scopes do not cover the
    request."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid Authorization header: give one token.")
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise AuthenticationFailed("Invalid token: not ASCII.") from exc
        token = ApiToken.objects.verify(key)
        if token is None:
            if key.startswith("mcat_"):
                raise AuthenticationFailed("Invalid, expired or revoked token.")
            return None  # perhaps a DRF token not yet migrated
        if not token.user.is_active:
            raise AuthenticationFailed("The token's user is inactive.")
        needed = required_scope(request)
        if not token.allows(needed):
            raise PermissionDenied(
                f"This token lacks the {needed!r} scope (it has: {', '.join(token.scopes)})."
            )
        user = token.user
        if not token.allows("admin"):
            user.is_staff = user.is_superuser = False  # in memory only: never saved
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request) -> str:
        """``WWW-Authenticate`` of a 401."""
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """drf-spectacular: :class:`ApiTokenAuthentication` is the ``apiToken`` scheme."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema) -> dict:
        """OpenAPI 3 security scheme (HTTP bearer, RFC 6750)."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`mcat_...`) created on the profile page or at "
            "/api/v1/tokens; `Authorization: Bearer <token>` (or `Token <token>`).",
        }
