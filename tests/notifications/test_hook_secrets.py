"""Webhook signing secrets: sealed at rest with ``MESH_SECRETS_KEYS`` (as source secrets),
masked in the API, admin and pages, kept when the mask comes back, and still signing
the deliveries received by the test's HTTP server."""

import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client

from notifications import services
from notifications.models import Delivery, DeliveryState, EventType, Webhook

SECRET = "whsec-Tr0ub4dor-and-3"


@pytest.fixture
def keys(settings):
    """One fresh Fernet key in ``MESH_SECRETS_KEYS``."""
    settings.MESH_SECRETS_KEYS = [Fernet.generate_key().decode()]
    return settings


def _raw_secret(pk: int) -> str:
    with connection.cursor() as cursor:  # what the database itself holds
        cursor.execute("SELECT secret FROM notifications_webhook WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_secret_is_sealed_masked_kept_and_signs(
    mesh, hook_server, keys, django_capture_on_commit_callbacks
):
    api = _api(mesh.owner)
    made = api.post(
        "/api/v1/webhooks",
        {"name": "ops", "url": hook_server.url, "secret": SECRET, "team": "sales"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["secret"] == "********" and SECRET not in made.content.decode()
    pk = made.json()["id"]
    raw = _raw_secret(pk)
    assert raw.startswith("${enc:") and SECRET not in raw

    # the mask sent back keeps the stored secret; other fields change
    changed = api.put(
        f"/api/v1/webhooks/{pk}",
        {"name": "ops 2", "url": hook_server.url, "secret": "********", "team": "sales"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["secret"] == "********" and changed.json()["name"] == "ops 2"
    assert _raw_secret(pk) == raw
    listed = api.get("/api/v1/webhooks").content.decode()
    assert SECRET not in listed and "${enc:" not in listed

    # deliveries are signed with the clear secret
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "sec1", "risk", targets=[("port", mesh.port.pk)])
    (request,) = hook_server.requests
    expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Mesh-Signature"] == f"sha256={expected}"

    # the page shows the mask only
    page = _api(mesh.owner).get("/subscriptions/").content.decode()
    assert "secret ********" in page and SECRET not in page and "${enc:" not in page


def test_bad_secret_input_is_a_400(mesh, hook_server, keys):
    api = _api(mesh.owner)
    mask_without_secret = api.post(
        "/api/v1/webhooks",
        {"name": "a", "url": hook_server.url, "secret": "********"},
        content_type="application/json",
    )
    assert mask_without_secret.status_code == 400
    assert "no secret is stored" in str(mask_without_secret.json()["secret"])
    placeholder = api.post(
        "/api/v1/webhooks",
        {"name": "a", "url": hook_server.url, "secret": "${env:DATABASE_URL}"},
        content_type="application/json",
    )
    assert placeholder.status_code == 400 and "placeholders" in str(placeholder.json()["secret"])


def test_admin_form_masks_and_keeps(mesh, hook_server, keys):
    admin = type(mesh.owner).objects.create_superuser("root", "root@example.com", "pw")
    hook = Webhook.objects.create(name="ops", url=hook_server.url, secret=SECRET)
    raw = _raw_secret(hook.pk)
    client = _api(admin)
    page = client.get(f"/admin/notifications/webhook/{hook.pk}/change/").content.decode()
    assert 'value="********"' in page and SECRET not in page and raw not in page
    saved = client.post(
        f"/admin/notifications/webhook/{hook.pk}/change/",
        {"name": "ops", "url": hook_server.url, "kind": "json", "secret": "********",
         "event_types": "[]", "enabled": "on", "created_at_0": "2026-12-07",
         "created_at_1": "10:00:00"},
    )  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert _raw_secret(hook.pk) == raw


def test_key_rotated_away_fails_visibly_without_retry(
    mesh, hook_server, keys, django_capture_on_commit_callbacks
):
    hook = Webhook.objects.create(name="ops", url=hook_server.url, secret=SECRET)
    keys.MESH_SECRETS_KEYS = [Fernet.generate_key().decode()]
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "sec2", "risk", targets=[("port", mesh.port.pk)])
    row = Delivery.objects.get(webhook=hook)
    assert row.state == DeliveryState.FAILED and "cannot decrypt" in row.last_error
    assert SECRET not in row.last_error and hook_server.requests == []


def test_seal_command_seals_clear_secrets_and_rotates(mesh, hook_server, settings):
    settings.MESH_SECRETS_KEYS = []
    hook = Webhook.objects.create(name="ops", url=hook_server.url, secret=SECRET)
    assert _raw_secret(hook.pk) == SECRET  # no key: stored as typed, like source secrets
    old = Fernet.generate_key().decode()
    settings.MESH_SECRETS_KEYS = [old]
    call_command("seal_webhook_secrets")
    sealed = _raw_secret(hook.pk)
    assert sealed.startswith("${enc:")
    new = Fernet.generate_key().decode()
    settings.MESH_SECRETS_KEYS = [new, old]
    call_command("seal_webhook_secrets")
    settings.MESH_SECRETS_KEYS = [new]
    assert Fernet(new.encode()).decrypt(_raw_secret(hook.pk)[6:-1].encode()).decode() == SECRET
