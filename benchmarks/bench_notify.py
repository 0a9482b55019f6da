"""Benchmark: fan-out of one incident to many subscribers (issue 16).

Builds (not timed) ``--subscribers`` users (default 10,000), each with an e-mail address
and an explicit subscription to one asset, and a product publishing that asset. Then, per
run (``--runs``, default 3), opens an incident on the asset by hand
(:func:`notifications.incidents.open_incident`: impact analysis, the event) and times
:func:`notifications.services.fan_out` of its ``incident_opened`` event: recipients
resolved, one inbox and one e-mail delivery per subscriber written in batches of
``MESH_NOTIFY_BATCH`` (1,000), one e-mail task queued per batch. It prints the time,
the SQL queries in total and per batch (constant: users, preferences, inbox insert,
e-mail insert, e-mail ids), and, with ``--send``, the time to send the queued e-mail
batches to a real ``aiosmtpd`` server on loopback in this one process (workers share
that work in production).

Usage::

    .venv/bin/python benchmarks/bench_notify.py                      # SQLite, 10,000
    .venv/bin/python benchmarks/bench_notify.py --subscribers 1000 --runs 1 --send
    .venv/bin/python benchmarks/bench_notify.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench_notify

The PostgreSQL database named in the URL is dropped and re-created, so its name must
contain ``bench``.
"""

import argparse
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, median  # noqa: E402


def build(subscribers: int):
    """The rows: users, their subscriptions to one asset, a product publishing it."""
    from django.contrib.auth.models import User

    from catalog.models import Asset
    from notifications.models import Subscription
    from products.models import DataProduct, OutputPort

    asset = Asset.objects.create(
        urn="urn:mc:dataset:postgres://bench/sales.public.orders",
        kind="dataset", type="table", namespace="postgres://bench",
        name="orders", qualified_name="sales.public.orders", platform="postgres",
    )  # fmt: skip
    product = DataProduct.objects.create(uid="orders", name="Orders")
    OutputPort.objects.create(product=product, name="orders", asset=asset, asset_urn=asset.urn)
    users = User.objects.bulk_create(
        [User(username=f"u{i}", email=f"u{i}@example.com") for i in range(subscribers)],
        batch_size=2000,
    )
    if not users or users[0].pk is None:  # SQLite before 3.35 returns no ids
        users = list(User.objects.order_by("id"))
    Subscription.objects.bulk_create(
        [Subscription(user_id=u.pk, target_kind="asset", target_id=asset.pk) for u in users],
        batch_size=2000,
    )
    return asset


def main() -> None:
    """Parse arguments, build, run and print a Markdown table row per run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--send", action="store_true", help="also send the e-mails (aiosmtpd)")
    parser.add_argument("--verbose", action="store_true", help="count queries by statement")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR / "notify")
    args = parser.parse_args()
    fresh_database(args.database_url, args.workdir)

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications import incidents, services
    from notifications.models import Event, EventType

    queued: list[tuple] = []
    services._queue = lambda task, *a: queued.append((task, a))  # time fan-out alone
    asset = build(args.subscribers)
    print(f"machine: {machine()}", file=sys.stderr)
    print(f"database: {connection.vendor}, batch {settings.MESH_NOTIFY_BATCH}", file=sys.stderr)
    smtp = None
    if args.send:
        from aiosmtpd.controller import Controller

        class Sink:
            count = 0

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                Sink.count += 1
                return "250 OK"

        with socket.socket() as probe:  # a free loopback port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
        smtp.start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    print(
        "| subscribers | database | run | fan-out s | queries | batches | queries/batch "
        "| inbox rows | e-mail rows | e-mail send s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    times = []
    for run in range(args.runs):
        queued.clear()
        incident, _ = incidents.open_incident(
            episode=f"bench:{run}:{time.time()}", title="Orders late", asset=asset
        )
        event = Event.objects.get(incident=incident, type=EventType.INCIDENT_OPENED)
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            counts = services.fan_out(event)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        per_batch = sum(
            1
            for q in queries.captured_queries
            if "notifications_preference" in q["sql"] and "user_id" in q["sql"]
        )
        sent_s = ""
        if smtp is not None:
            start = time.perf_counter()
            for task, task_args in queued:
                if task.endswith("send_emails"):
                    services.send_emails(*task_args)
            sent_s = f"{time.perf_counter() - start:.1f}"
        n = len(queries.captured_queries)
        print(
            f"| {args.subscribers:,} | {connection.vendor} | {run + 1} | {elapsed:.2f} | {n} | "
            f"{counts['batches']} | {(n - 4) / max(1, counts['batches']):.1f} | "
            f"{counts['inbox']:,} | {counts['email']:,} | {sent_s} |",
            flush=True,
        )
        assert per_batch == counts["batches"], "one preference query per batch"
        if args.verbose:
            kinds: dict[str, int] = {}
            for q in queries.captured_queries:
                words = q["sql"].split()
                key = " ".join(words[:1] + [w for w in words if w.startswith('"notif')][:1])
                kinds[key] = kinds.get(key, 0) + 1
            print(f"queries by statement: {kinds}", file=sys.stderr)
    print(f"median fan-out: {median(times):.2f} s over {args.runs} run(s)", file=sys.stderr)
    if smtp is not None:
        smtp.stop()


if __name__ == "__main__":
    main()
