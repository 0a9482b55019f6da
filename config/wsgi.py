"""WSGI entry point."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Production servers refuse the built-in development SECRET_KEY when DEBUG is false.
from config.security import check_secret_key  # noqa: E402

check_secret_key()

# Django, the apps and their modules (~190k objects) live as long as the process: frozen,
# the cyclic garbage collector stops re-scanning them on every full collection (an impact
# answer of 12,000 assets spent ~90 ms of its ~300 ms there; benchmarks/README.md).
# Objects created later are collected as usual.
gc.collect()
gc.freeze()
