"""Quickstart step: a second demo user (a consumer) and one open access request, so
the inbox of the demo admin is not empty."""

import datetime as dt
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from access import services
from access.models import AccessRequest
from products.models import OutputPort

DEMO_CONSUMER = ("consumer", "consumer")


def load_sample_access(samples_dir: Path, out) -> list[dict]:
    """Create ``consumer``/``consumer`` (only beside the demo ``admin``, never on a
    real install) and one open read request on the first bound output port. Returns one
    summary row (``assets`` = open requests)."""
    started = time.monotonic()
    users = get_user_model()
    row = {
        "section": "access requests",  # printed on a line of its own, not as a source
        "source": "sample access request",
        "status": "succeeded",
        "assets": 0,
        "fields": 0,
        "lineage_edges": 0,
        "warnings": 0,
        "errors": 0,
    }
    if not users.objects.filter(username="admin").exists():
        row.update(status="skipped", warnings=1, note="no demo admin: no demo consumer created")
    else:
        consumer = users.objects.filter(username=DEMO_CONSUMER[0]).first()
        if consumer is None:
            consumer = users.objects.create_user(*DEMO_CONSUMER)
            if out is not None:
                out.write("Created demo consumer consumer / consumer (local demo only).")
        port = OutputPort.objects.filter(asset__isnull=False).order_by("pk").first()
        if port is not None and not AccessRequest.objects.filter(consumer=consumer).exists():
            services.create_request(
                consumer,
                port,
                purpose="Monthly revenue dashboard for the finance team",
                end_date=timezone.now().date() + dt.timedelta(days=90),
            )
        row["assets"] = AccessRequest.objects.filter(state="requested").count()
        row["note"] = (
            f"{row['assets']} open request(s) from consumer; sign in as admin and open the Inbox"
        )
    row["seconds"] = round(time.monotonic() - started, 2)
    return [row]
