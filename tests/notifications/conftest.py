"""Real servers and rows the notification tests share.

* ``smtp``: an ``aiosmtpd`` SMTP server on a free loopback port; Django's SMTP backend
  points at it for the test. ``smtp.messages`` are the received ``email.message``
  objects, ``smtp.to(address)`` those addressed to one recipient.
* ``hook_server``: a threaded HTTP server on loopback recording every POST
  (``path``, ``headers``, ``body``); ``hook_server.status`` is what it answers (200).
  It sets ``MESH_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]`` so webhooks may reach it.
* ``mesh``: a product *Invoicing* (team *sales*: ``owner``) whose port *invoices*
  publishes ``chinook.public.invoice`` with a volume SLO (≥ 100 rows, objective 0.9);
  downstream (a lineage edge) ``reporting.revenue`` is published by *Reporting* (team
  *bi*: ``analyst``); ``outsider`` watches nothing. Every user has an e-mail address.
"""

import email
import http.server
import json
import threading
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User

from catalog.models import Source
from lineage.models import LineageEdge
from products.models import SLO, DataProduct, OutputPort, Team, TeamMembership
from tests.browser_server import free_port
from tests.factories import make_asset


class _Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        message = email.message_from_bytes(envelope.content)
        message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    """The running server: ``messages`` and ``to(address)``."""

    def __init__(self, collector: _Collector, port: int):
        self.collector = collector
        self.port = port

    @property
    def messages(self) -> list:
        """Every received message."""
        return list(self.collector.messages)

    def to(self, address: str) -> list:
        """Messages whose envelope named ``address``."""
        return [m for m in self.collector.messages if address in m["X-Rcpt"].split(",")]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and Django's SMTP backend pointed at it."""
    collector = _Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield SMTPServer(collector, port)
    finally:
        controller.stop()


class HookServer(http.server.ThreadingHTTPServer):
    """Records POSTs; answers ``status`` with a small JSON body."""

    daemon_threads = True

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        super().__init__(("127.0.0.1", 0), _HookHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/hook``."""
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def bodies(self) -> list[dict]:
        """The JSON bodies received, in order."""
        return [json.loads(r["body"]) for r in self.requests]


class _HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server hook
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": body}
        )
        reply = json.dumps({"ok": self.server.status == 200}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server(settings):
    """A real HTTP server on loopback that records webhook POSTs; loopback is allowed
    through ``MESH_WEBHOOK_ALLOWED_HOSTS`` (webhook URLs may not reach it otherwise)."""
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = HookServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mesh(db):
    """See the module docstring."""
    users = {
        name: User.objects.create_user(name, email=f"{name}@example.com", password="pw")
        for name in ("owner", "analyst", "outsider")
    }
    sales = Team.objects.create(slug="sales", name="Sales")
    bi = Team.objects.create(slug="bi", name="BI")
    TeamMembership.objects.create(team=sales, user=users["owner"], role="owner")
    TeamMembership.objects.create(team=bi, user=users["analyst"], role="owner")
    product = DataProduct.objects.create(uid="invoicing", name="Invoicing", owner_team=sales)
    asset = make_asset("chinook.public.invoice", "postgres://127.0.0.1:5432")
    port = OutputPort.objects.create(
        product=product, name="invoices", asset=asset, asset_urn=asset.urn
    )
    slo = SLO.objects.create(port=port, name="rows", kind="volume", min_value=100, objective=0.9)
    downstream = make_asset("reporting.revenue", "postgres://127.0.0.1:5432")
    reporting = DataProduct.objects.create(uid="reporting", name="Reporting", owner_team=bi)
    OutputPort.objects.create(
        product=reporting, name="revenue", asset=downstream, asset_urn=downstream.urn
    )
    source = Source.objects.create(name="warehouse", kind="sql", config={})
    LineageEdge.objects.create(key="e1", upstream=asset, downstream=downstream, origin=source)
    return SimpleNamespace(
        **users,
        sales=sales,
        bi=bi,
        product=product,
        port=port,
        asset=asset,
        slo=slo,
        downstream=downstream,
        reporting=reporting,
        source=source,
    )
