"""The Celery application; settings come from Django settings prefixed ``CELERY_``."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("mesh_catalog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_development_secret_key(**kwargs) -> None:
    """A worker refuses to start with ``DEBUG=false`` and the development SECRET_KEY."""
    from config.security import check_secret_key

    check_secret_key()
