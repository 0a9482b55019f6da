"""Webhook URLs may not reach internal addresses (SSRF): refused with a 400 naming the
reason when saved, and refused again at delivery (recorded as a failed delivery with
the reason), unless ``MESH_WEBHOOK_ALLOWED_HOSTS`` allows the host or address. The
test's HTTP server listens on 127.0.0.1 and is reached only through that setting."""

import pytest
from django.test import Client

from notifications import services, urlguard
from notifications.models import Delivery, DeliveryState, EventType, Webhook


def _api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create(api, url):
    return api.post("/api/v1/webhooks", {"name": "h", "url": url}, content_type="application/json")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost:9/hook", "localhost resolves to"),
        ("http://10.1.2.3/hook", "a private address"),
        ("http://192.168.0.10/hook", "a private address"),
        ("http://100.64.0.1/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://[::1]/hook", "a loopback address"),
        ("http://[::ffff:10.0.0.1]/hook", "a private address"),
        ("http://[fe80::1]/hook", "a link-local address"),
        ("http://224.0.0.1/hook", "a multicast address"),
        ("http://0.0.0.0/hook", "an unspecified address"),
        ("ftp://example.com/hook", "scheme 'ftp' is not allowed"),
    ],
)
def test_internal_urls_are_refused_with_the_reason(mesh, settings, url, reason):
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = []
    answer = _create(_api(mesh.owner), url)
    assert answer.status_code == 400, answer.content
    message = " ".join(answer.json()["url"])
    assert reason in message, message
    assert not Webhook.objects.exists()


def test_public_address_passes_the_check(settings):
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = []
    urlguard.check_url("https://93.184.215.14/hook")  # a public literal: no DNS needed
    with pytest.raises(urlguard.UnsafeURL, match="file"):
        urlguard.check_url("file:///etc/passwd")


def test_allowed_hosts_let_chosen_internal_endpoints_through(mesh, settings):
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = ["10.0.0.0/8", "localhost"]
    api = _api(mesh.owner)
    assert _create(api, "http://10.9.8.7/hook").status_code == 201
    assert _create(api, "http://localhost:9/hook").status_code == 201
    assert _create(api, "http://192.168.1.1/hook").status_code == 400


def test_delivery_is_refused_when_the_address_is_no_longer_allowed(
    mesh, hook_server, settings, django_capture_on_commit_callbacks
):
    api = _api(mesh.owner)
    made = _create(api, hook_server.url)  # allowed by the fixture's setting
    assert made.status_code == 201, made.content
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = []  # e.g. the name now resolves to loopback
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "ssrf1", "risk", targets=[("port", mesh.port.pk)])
    row = Delivery.objects.get(webhook_id=made.json()["id"])
    assert row.state == DeliveryState.FAILED and row.next_retry_at is None
    assert row.last_error.startswith("refused: 127.0.0.1 is a loopback address")
    assert hook_server.requests == []  # nothing reached the server
    log = api.get(f"/api/v1/webhooks/{made.json()['id']}/deliveries").json()
    assert log[0]["state"] == "failed" and "loopback" in log[0]["last_error"]


def test_connected_peer_is_checked_too(mesh, hook_server, settings):
    """A name allowed at the check that connects to a refused address (DNS rebinding,
    redirects) is stopped on the socket before anything is sent."""
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = []
    import urllib.error
    import urllib.request

    request = urllib.request.Request(hook_server.url, data=b"{}", method="POST")
    with pytest.raises(urllib.error.URLError) as caught:
        urlguard.opener().open(request, timeout=5)
    assert isinstance(caught.value.reason, urlguard.UnsafeURL)
    assert "127.0.0.1" in str(caught.value.reason) and "loopback" in str(caught.value.reason)
    assert hook_server.requests == []
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with urlguard.opener().open(request, timeout=5) as resp:
        assert resp.status == 200
    assert len(hook_server.requests) == 1


def test_admin_form_refuses_internal_urls(mesh, settings):
    from notifications.admin import WebhookForm

    settings.MESH_WEBHOOK_ALLOWED_HOSTS = []
    form = WebhookForm(
        data={"name": "x", "url": "http://169.254.169.254/", "kind": "json", "secret": "",
              "event_types": "[]", "created_at_0": "2026-12-07", "created_at_1": "10:00"}
    )  # fmt: skip
    assert not form.is_valid()
    assert "link-local" in str(form.errors["url"])


def test_unresolvable_host_is_a_400_but_retried_at_delivery(
    mesh, settings, django_capture_on_commit_callbacks
):
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = []
    answer = _create(_api(mesh.owner), "https://nothing.invalid/hook")
    assert answer.status_code == 400 and "does not resolve" in str(answer.json()["url"])
    hook = Webhook.objects.create(name="gone", url="https://nothing.invalid/hook")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "ssrf2", "risk", targets=[("port", mesh.port.pk)])
    row = Delivery.objects.get(webhook=hook)
    assert row.state == DeliveryState.RETRYING and not row.last_error.startswith("refused")
