"""Identity pages: sign-in (password and/or single sign-on), sign-out (RP-initiated
logout at the provider), and the profile page where users create and revoke tokens."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from identity.models import SCOPES, ApiToken
from identity.permissions import is_admin, roles
from identity.tokens import create_token, default_days, max_days, revoke_token, visible_tokens


def sso_context(request) -> dict:
    """Template context: ``sso_enabled`` (OIDC configured), ``sso_label`` and
    ``password_login`` (``MESH_PASSWORD_LOGIN``)."""
    return {
        "sso_enabled": bool(getattr(settings, "MESH_OIDC_ENABLED", False)),
        "sso_label": getattr(settings, "MESH_OIDC_LABEL", "Single sign-on"),
        "password_login": bool(getattr(settings, "MESH_PASSWORD_LOGIN", True)),
    }


class LoginView(auth_views.LoginView):
    """Django's sign-in page, plus the single sign-on button; a password POST is
    refused (403) when ``MESH_PASSWORD_LOGIN`` is false."""

    def post(self, request, *args, **kwargs):
        if not getattr(settings, "MESH_PASSWORD_LOGIN", True):
            return HttpResponseForbidden("Password sign-in is switched off: use single sign-on.")
        return super().post(request, *args, **kwargs)


@require_POST
def logout_view(request):
    """Sign out; after an OIDC sign-in, also end the session at the provider
    (OpenID Connect RP-Initiated Logout 1.0: ``end_session_endpoint`` with
    ``id_token_hint`` and ``post_logout_redirect_uri``)."""
    id_token = request.session.get("oidc_id_token")
    end_session = getattr(settings, "OIDC_OP_LOGOUT_ENDPOINT", "")
    logout(request)
    if id_token and end_session:
        back = request.build_absolute_uri(settings.LOGOUT_REDIRECT_URL)
        query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": back})
        return redirect(f"{end_session}?{query}")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def profile(request):
    """The signed-in user's profile: roles, team memberships are on the teams page;
    API tokens (create: shown once; revoke). Admins also see every token and may create
    service-account tokens.

    POST (create) fields: ``name``, ``scopes`` (repeated), ``expires_in_days``,
    ``service_account`` (admins). Errors re-render the page with the message."""
    new_key = None
    errors: list[str] = []
    if request.method == "POST":
        try:
            token, new_key = create_token(
                request.user,
                request.POST.get("name", ""),
                request.POST.getlist("scopes"),
                request.POST.get("expires_in_days") or None,
                request.POST.get("service_account", ""),
            )
        except ValidationError as exc:
            errors = [m for msgs in exc.message_dict.values() for m in msgs]
        except PermissionDenied as exc:
            errors = [str(exc)]
    context = {
        "roles": sorted(roles(request.user)),
        "tokens": visible_tokens(request.user)[:200],
        "scopes": SCOPES,
        "new_key": new_key,
        "errors": errors,
        "is_admin": is_admin(request.user),
        "default_days": default_days(),
        "max_days": max_days(),
    }
    return render(request, "identity/profile.html", context, status=400 if errors else 200)


@login_required
@require_POST
def revoke(request, pk: int):
    """Revoke a token (own, or any for admins; 403 otherwise), back to the profile."""
    token = get_object_or_404(ApiToken, pk=pk)
    revoke_token(request.user, token)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("identity:profile")
