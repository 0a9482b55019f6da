"""Provisioners against real servers: the local PostgreSQL (Chinook loaded; a consumer
role can SELECT after approval and not after revoke or expiry) and a local HTTP server
receiving signed webhooks."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg
import pytest
from django.conf import settings as django_settings

from access import services
from access.models import AccessRequest, PortAccessPolicy, State
from access.tasks import sweep
from tests.access.conftest import in_days
from tests.pg_chinook import SERVER, ensure_chinook

ROLE = "mesh_access_consumer"


@pytest.fixture
def chinook_role():
    """Chinook in the local PostgreSQL and a login role without any grant on it."""
    ensure_chinook(django_settings.MESH_SAMPLES_DIR / "chinook" / "Chinook_PostgreSql.sql")
    with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE ROLE "{ROLE}" LOGIN')
        conn.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{ROLE}"')
    yield ROLE


def can_select(role: str) -> bool:
    """Whether ``role`` may read chinook.public.invoice (checked as that role)."""
    with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("SET ROLE {}").format(psycopg.sql.Identifier(role)))
        try:
            conn.execute("SELECT count(*) FROM public.invoice").fetchone()
            return True
        except psycopg.errors.InsufficientPrivilege:
            return False


@pytest.fixture
def pg_port(mesh, settings):
    settings.MESH_ACCESS_PROVISIONERS = {
        **settings.MESH_ACCESS_PROVISIONERS,
        "postgres": {"BACKEND": "access.provisioners.postgres.PostgresProvisioner", "URL": SERVER},
    }
    PortAccessPolicy.objects.create(
        port=mesh.port, provisioner="postgres", grant_objects=["public.invoice"]
    )
    return mesh


def _active(mesh, role, capture):
    req = services.create_request(
        mesh.consumer, mesh.port, purpose="revenue", end_date=in_days(5), principal=role
    )
    with capture(execute=True):
        services.approve(req, mesh.owner)
    return AccessRequest.objects.get(pk=req.pk)


def test_postgres_grant_then_revoke(pg_port, chinook_role, django_capture_on_commit_callbacks):
    assert not can_select(chinook_role)
    req = _active(pg_port, chinook_role, django_capture_on_commit_callbacks)
    assert req.state == State.ACTIVE, req.last_error
    assert 'GRANT SELECT ON TABLE "public"."invoice" TO "mesh_access_consumer"' in req.statements
    assert can_select(chinook_role)
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(req, pg_port.owner, reason="done")
    assert AccessRequest.objects.get(pk=req.pk).warehouse_revoked
    assert not can_select(chinook_role)


def test_postgres_expiry_revokes(pg_port, chinook_role, django_capture_on_commit_callbacks):
    req = _active(pg_port, chinook_role, django_capture_on_commit_callbacks)
    assert can_select(chinook_role)
    AccessRequest.objects.filter(pk=req.pk).update(end_date=in_days(-1))
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert AccessRequest.objects.get(pk=req.pk).state == State.EXPIRED
    assert not can_select(chinook_role)


def test_missing_role_fails_visibly_and_a_retry_succeeds(
    pg_port, chinook_role, django_capture_on_commit_callbacks
):
    missing = "mesh_access_not_yet"
    with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{missing}"')
    req = _active(pg_port, missing, django_capture_on_commit_callbacks)
    assert req.state == State.PROVISIONING_FAILED
    assert f'role "{missing}" does not exist' in req.last_error
    assert req.next_retry_at is not None
    with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{missing}"')
    try:
        req = services.retry(req, pg_port.owner)
        assert req.state == State.ACTIVE
        assert can_select(missing)
        with django_capture_on_commit_callbacks(execute=True):
            services.revoke(req, pg_port.owner)
    finally:
        with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
            conn.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{missing}"')
            conn.execute(f'REVOKE ALL ON SCHEMA public FROM "{missing}"')
            conn.execute(f'DROP ROLE "{missing}"')


def test_warehouse_down_keeps_the_request(mesh, settings, django_capture_on_commit_callbacks):
    settings.MESH_ACCESS_PROVISIONERS = {
        "postgres": {
            "BACKEND": "access.provisioners.postgres.PostgresProvisioner",
            "URL": "postgresql://postgres@127.0.0.1:1",
            "CONNECT_TIMEOUT": 2,
        }
    }
    PortAccessPolicy.objects.create(port=mesh.port, provisioner="postgres")
    req = _active(mesh, "whoever", django_capture_on_commit_callbacks)
    assert req.state == State.PROVISIONING_FAILED
    assert "PostgreSQL refused" in req.last_error


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.fail_first:
            _Hook.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Hook.received.append((self.headers["X-Mesh-Signature"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received, _Hook.fail_first = [], 1
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_signed_grant_and_revoke_with_retry(
    mesh, settings, hook_server, django_capture_on_commit_callbacks
):
    secret = "s3cret"
    settings.MESH_ACCESS_PROVISIONERS = {
        "webhook": {
            "BACKEND": "access.provisioners.webhook.WebhookProvisioner",
            "URL": hook_server,
            "SECRET": secret,
            "RETRIES": 3,
        }
    }
    PortAccessPolicy.objects.create(port=mesh.port, provisioner="webhook")
    req = _active(mesh, "analyst", django_capture_on_commit_callbacks)
    assert req.state == State.ACTIVE  # the first POST got a 503 and was retried
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(req, mesh.owner)
    events = []
    for signature, body in _Hook.received:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, expected)
        events.append(json.loads(body))
    assert [(e["event"], e["principal"], e["product"]) for e in events] == [
        ("grant", "analyst", "invoicing"),
        ("revoke", "analyst", "invoicing"),
    ]


def test_revoke_survives_a_warehouse_outage(
    pg_port, chinook_role, settings, django_capture_on_commit_callbacks
):
    """The revoke is recorded at once; while the warehouse is unreachable the grant stays
    ``warehouse_revoked=False`` (the role still can read), and the next sweep — after a
    restart, say — revokes it there."""
    req = _active(pg_port, chinook_role, django_capture_on_commit_callbacks)
    good = settings.MESH_ACCESS_PROVISIONERS
    settings.MESH_ACCESS_PROVISIONERS = {
        **good,
        "postgres": {**good["postgres"], "URL": "postgresql://postgres@127.0.0.1:1"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(req, pg_port.owner, reason="contract ended")
    req.refresh_from_db()
    assert req.state == State.REVOKED and not req.warehouse_revoked
    assert "PostgreSQL refused" in req.last_error
    assert can_select(chinook_role)
    settings.MESH_ACCESS_PROVISIONERS = good
    assert sweep()["deprovisioned"] == 1
    assert AccessRequest.objects.get(pk=req.pk).warehouse_revoked
    assert not can_select(chinook_role)
