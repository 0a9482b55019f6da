"""Deliveries on a real Celery worker over the local Redis (the scale-out mode).

A catalog in its own var folder (SQLite file) with ``CELERY_BROKER_URL`` on Redis: an SLO
breach is recorded while no worker runs, so the fan-out task waits in the queue (a down
worker loses nothing); then a ``celery -A config worker`` subprocess fans out, sends the
e-mails to the test's ``aiosmtpd`` server and POSTs the webhooks to the test's HTTP
server. Redis must be up: the test fails, never skips, when it is not.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

from tests.browser_server import free_port
from tests.harvesters.test_celery_redis import wait_for
from tests.notifications.conftest import SMTPServer, _Collector

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("MESH_NOTIFY_TEST_REDIS", "redis://127.0.0.1:6379/6")

SETUP = """
from django.contrib.auth.models import User
from notifications.models import Webhook
from products.models import SLO, DataProduct, OutputPort, Team, TeamMembership
from tests.factories import make_asset
owner = User.objects.create_user("owner", email="owner@example.com")
team = Team.objects.create(slug="sales", name="Sales")
TeamMembership.objects.create(team=team, user=owner, role="owner")
product = DataProduct.objects.create(uid="invoicing", name="Invoicing", owner_team=team)
asset = make_asset("chinook.public.invoice", "postgres://127.0.0.1:5432")
port = OutputPort.objects.create(product=product, name="invoices", asset=asset)
SLO.objects.create(port=port, name="rows", kind="volume", min_value=100, objective=0.9)
Webhook.objects.create(name="ops", url={hook!r}, kind="json", secret="k")
"""
BREACH = """
from products.models import SLO
from products.slo import record_sample
record_sample(SLO.objects.get(), 5.0)
"""
STATES = """
from notifications.models import Delivery, Incident
print(sorted((d.channel, d.state) for d in Delivery.objects.all()), Incident.objects.count())
"""


def test_worker_delivers_queued_notifications(tmp_path, hook_server):
    collector = _Collector()
    smtp_port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    smtp = SMTPServer(collector, smtp_port)
    queue = f"mesh-notify-test-{uuid.uuid4().hex[:8]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "MESH_SEARCH_BACKEND", "MESH_GRAPH_BACKEND"}
    }
    env.update(
        MESH_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL=REDIS_URL,
        MESH_TASK_QUEUE=queue,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        MESH_WEBHOOK_ALLOWED_HOSTS="127.0.0.1",  # the test's hook server is on loopback
        PYTHONUNBUFFERED="1",
        SECRET_KEY="notify-test-" + uuid.uuid4().hex * 2,
    )
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    client.ping()

    def shell(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    worker = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True, timeout=180,
        )  # fmt: skip
        shell(SETUP.format(hook=hook_server.url))
        shell(BREACH)
        time.sleep(1)  # no worker yet: the fan-out waits in Redis, nothing is sent
        assert smtp.messages == [] and hook_server.requests == []
        assert "[] 1" in shell(STATES)  # the incident is open, no delivery written yet
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
                "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-l", "warning",
            ],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for(
            lambda: len([m for m in smtp.messages if "Incident opened" in m["Subject"]]) == 1,
            90,
            "the worker to send the incident e-mail",
        )
        wait_for(
            lambda: (
                "incident_opened" in {r["headers"]["X-Mesh-Event"] for r in hook_server.requests}
            ),
            60,
            "the worker to post the webhook",
        )
        states = wait_for(
            lambda: (s := shell(STATES)) and "pending" not in s and "sending" not in s and s,
            60,
            "every delivery to be sent",
        )
        assert "('email', 'sent')" in states and "('webhook', 'sent')" in states
        assert "failed" not in states and "retrying" not in states
        assert {m["X-Rcpt"] for m in smtp.messages} == {"owner@example.com"}
        # the breach collapsed into the incident: one e-mail and one POST
        assert len(smtp.messages) == 1
        assert [r["headers"]["X-Mesh-Event"] for r in hook_server.requests] == ["incident_opened"]
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        controller.stop()
        client.delete(queue)
