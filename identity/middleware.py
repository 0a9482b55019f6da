"""Pages follow ``MESH_PUBLIC_READ``: with reads private, anonymous visitors are sent to
sign in (the API answers 401 itself, through :class:`identity.permissions.CatalogPermission`)."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from identity.permissions import public_read

OPEN_PREFIXES = ("/accounts/", "/oidc/", "/api/", "/admin/", "/static/", "/favicon")


class ReadPolicyMiddleware:
    """Redirect anonymous page requests to ``LOGIN_URL`` when ``MESH_PUBLIC_READ`` is
    false; sign-in, sign-on, API, admin and static paths are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not public_read()
            and not request.user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and request.path != settings.LOGIN_URL
        ):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
