"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Production servers refuse the built-in development SECRET_KEY when DEBUG is false.
from config.security import check_secret_key  # noqa: E402

check_secret_key()
