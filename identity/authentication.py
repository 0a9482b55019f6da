"""API token authentication: hashed, scoped, expiring tokens (:class:`identity.models.ApiToken`).

Accepts ``Authorization: Bearer <key>`` (RFC 6750; what OpenLineage clients send for an
API key) and ``Authorization: Token <key>``. Keys DRF issued before (``authtoken``) are
left to DRF's ``TokenAuthentication`` until ``manage.py migrate_api_tokens`` moves them
here (same key, stored hashed from then on).

Scopes: a safe method needs ``read``; a view registered with :func:`register_view_scope`
(or with a ``token_scope`` attribute) needs that scope for writes (``ingest`` for
OpenLineage and harvest pushes); any other write needs ``write``. A token lacking the
scope gets 403 naming it. A token without ``admin`` never acts with staff powers.

Verified tokens are reused by a process for ``MESH_TOKEN_CACHE_SECONDS`` (5; 0 turns it
off) so that busy writers (an OpenLineage producer posting thousands of events a second)
do not pay a database lookup per request: expiry is still checked on every request, and
saving or deleting any token or user in a process empties that process's cache (so a
token revoked on the API or the profile page is refused there at once); other processes
refuse a revoked token, or one of a deactivated user, within that many seconds.
"""

import copy
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import SAFE_METHODS

from identity.models import ApiToken, digest

KEYWORDS = {b"bearer", b"token"}
_VIEW_SCOPES: dict[type, str] = {}
_CACHE: dict[str, tuple[float, ApiToken]] = {}  # key digest -> (verified at, token)
_CACHE_MAX = 1000
_cache_lock = threading.Lock()


def token_cache_seconds() -> float:
    """``MESH_TOKEN_CACHE_SECONDS`` (5): how long a process reuses a verified token."""
    return float(getattr(settings, "MESH_TOKEN_CACHE_SECONDS", 5))


def forget_verified_tokens(**kwargs) -> None:
    """Empty this process's cache of verified tokens (a receiver of token and user
    saves and deletes)."""
    with _cache_lock:
        _CACHE.clear()


def verified_token(key: str) -> ApiToken | None:
    """The active token of ``key`` with its user (a copy of both, safe to change per
    request), from this process's cache when verified less than
    :func:`token_cache_seconds` ago, else from the database; None when there is none."""
    ttl = token_cache_seconds()
    if ttl <= 0:
        return ApiToken.objects.verify(key)
    key_digest = digest(key)
    now = time.monotonic()
    hit = _CACHE.get(key_digest)
    if hit is None or now - hit[0] >= ttl:
        token = ApiToken.objects.verify(key)
        if token is None:
            return None
        with _cache_lock:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[key_digest] = (now, token)
    else:
        token = hit[1]
        if token.expires_at is not None and token.expires_at <= timezone.now():
            return None
    fresh = copy.copy(token)
    fresh.user = copy.copy(token.user)
    return fresh


for _model in (ApiToken, get_user_model()):
    post_save.connect(forget_verified_tokens, sender=_model, dispatch_uid=f"tokens-{_model}")
    post_delete.connect(forget_verified_tokens, sender=_model, dispatch_uid=f"tokens-d-{_model}")


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


def _token_user(token: ApiToken):
    """The user ``token`` acts as (staff powers dropped without the ``admin`` scope);
    records the token's use (at most one ``UPDATE`` a minute)."""
    user = token.user
    if not token.allows("admin"):
        user.is_staff = user.is_superuser = False  # in memory only: never saved
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        cached = _CACHE.get(token.digest)
        if cached is not None:
            cached[1].last_used_at = now
    return user


def authenticate_api_key(authorization: str, scope: str):
    """The ``(user, token)`` of an ``Authorization`` header value (``Bearer mcat_...`` or
    ``Token mcat_...``) whose active token allows ``scope``, else None (never raises).

    For lean write paths (:mod:`harvesters.kinds.openlineage.fastpath`) that hand every
    request they cannot accept to the full DRF view, which answers 401/403 with the
    reason. Uses the verified-token cache (``MESH_TOKEN_CACHE_SECONDS``)."""
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() not in ("bearer", "token"):
        return None
    key = parts[1]
    if not key.startswith("mcat_") or not key.isascii():
        return None
    token = verified_token(key)
    if token is None or not token.user.is_active or not token.allows(scope):
        return None
    return _token_user(token), token


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
        token = verified_token(key)
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
        return _token_user(token), token

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
