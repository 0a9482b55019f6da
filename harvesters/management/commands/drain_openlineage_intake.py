"""``manage.py drain_openlineage_intake``: store the queued OpenLineage events now.

The queued write path of ``POST /api/v1/lineage`` (``MESH_OPENLINEAGE_INTAKE=queue``,
:mod:`harvesters.kinds.openlineage.intake`) is normally drained by the Celery task
``harvesters.drain_openlineage_intake``; this command does the same in this process, for
deployments without workers or after an outage. ``--loop`` keeps draining every
``--interval`` seconds (Ctrl-C stops); ``--retry-parked`` gives parked events (those that
failed ``MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS`` times) another round first. Prints what
was stored, duplicates, parked and failed, and how many stay queued or parked.
"""

import time

from django.core.management.base import BaseCommand

from harvesters.kinds.openlineage.intake import drain_intake, max_attempts
from harvesters.models import OpenLineageIntake


class Command(BaseCommand):
    """Drain the OpenLineage intake table once (or ``--loop``)."""

    help = "Store the queued OpenLineage events (POST /api/v1/lineage in queue mode)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep draining")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between drains")
        parser.add_argument(
            "--retry-parked", action="store_true", help="retry events parked after failures"
        )

    def handle(self, *args, loop: bool, interval: float, retry_parked: bool, **options) -> None:
        if retry_parked:
            OpenLineageIntake.objects.filter(attempts__gte=max_attempts()).update(attempts=0)
        while True:
            totals = drain_intake()
            pending = OpenLineageIntake.objects.filter(attempts__lt=max_attempts()).count()
            parked = OpenLineageIntake.objects.filter(attempts__gte=max_attempts()).count()
            self.stdout.write(
                ", ".join(f"{k} {v}" for k, v in totals.items())
                + f"; queued {pending}, parked {parked}"
            )
            if not loop:
                return
            time.sleep(max(interval, 0.05))
