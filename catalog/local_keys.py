"""The development secret key and the per-installation key of local use.

Kept in the lowest layer so that ``manage.py quickstart`` (catalog) and the settings
(:mod:`config.security`) share one definition; nothing here imports Django models.
"""

import secrets
from pathlib import Path

DEV_SECRET_KEY = "dev-insecure-change-me"


def local_secret_key(var_dir) -> str:
    """A random key kept in ``<var_dir>/secret_key`` (created once, mode 0600): what
    ``manage.py quickstart`` serves with when no ``SECRET_KEY`` is set (local use).

    Returns the key (str). Raises OSError when ``var_dir`` is not writable.
    """
    path = Path(var_dir) / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


def uses_dev_key(settings) -> bool:
    """Whether ``settings`` run without DEBUG on the built-in development key."""
    return not settings.DEBUG and settings.SECRET_KEY in ("", DEV_SECRET_KEY)
