"""View decorators of the read policy."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from identity.permissions import may_read


def read_access(view):
    """A page anyone may read when ``MESH_PUBLIC_READ`` is true; otherwise anonymous
    visitors are sent to ``LOGIN_URL`` (302), like ``login_required``."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_read(request.user):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapped
