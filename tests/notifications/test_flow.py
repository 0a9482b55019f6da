"""End to end on the real database, a real SMTP server and a real HTTP server: an SLO
breach opens one incident and tells the owner and the downstream owners by e-mail and
webhook; recovery resolves it; a contract-breaking schema change opens one; muting
works; deliveries are at most once per recipient and channel."""

import hashlib
import hmac
import io

from django.core.management import call_command

from catalog.models import HarvestRun
from harvesters.signals import run_changes_recorded
from notifications import services
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Event,
    EventType,
    Incident,
    IncidentState,
    Webhook,
)
from products.models import DataContract
from products.slo import record_sample

SECRET = "s3cret"


def _hook(server, kind="json"):
    return Webhook.objects.create(name="ops", url=server.url, kind=kind, secret=SECRET)


def _breach(mesh, capture):
    with capture(execute=True):
        record_sample(mesh.slo, 50.0)  # below min_value: bad → breached


def test_slo_breach_opens_one_incident_and_notifies_by_email_and_webhook(
    mesh, smtp, hook_server, django_capture_on_commit_callbacks
):
    _hook(hook_server)
    _breach(mesh, django_capture_on_commit_callbacks)

    incident = Incident.objects.get()
    assert incident.state == IncidentState.OPEN
    assert incident.episode == f"slo:{mesh.slo.pk}" and incident.cause == "slo_breach"
    assert incident.port == mesh.port and incident.product == mesh.product
    assert [a["urn"] for a in incident.impact["assets"]] == [mesh.downstream.urn]
    assert [p["uid"] for p in incident.impact["products"]] == ["reporting"]
    assert "BI" in incident.impact["owners"]

    opened = [m for m in smtp.messages if "Incident opened" in m["Subject"]]
    assert {m["X-Rcpt"] for m in opened} == {"owner@example.com", "analyst@example.com"}
    assert "/incidents/" in opened[0].get_payload()
    assert smtp.to("outsider@example.com") == []

    events = [r["headers"]["X-Mesh-Event"] for r in hook_server.requests]
    # the breach collapses into the incident: one POST per episode start
    assert "incident_opened" in events and "slo_breached" not in events
    for request in hook_server.requests:  # every body is signed with the secret
        expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Mesh-Signature"] == f"sha256={expected}"
    body = next(b for b in hook_server.bodies() if b["type"] == "incident_opened")
    assert body["incident"] == incident.pk and body["url"].endswith(f"/incidents/{incident.pk}/")

    # the breach continues: no new incident, no new e-mail
    sent = len(smtp.messages)
    with django_capture_on_commit_callbacks(execute=True):
        record_sample(mesh.slo, 10.0)
    assert Incident.objects.count() == 1
    assert len(smtp.messages) == sent

    # recovery: enough good samples to meet the objective again
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(25):
            record_sample(mesh.slo, 500.0)
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED and incident.resolved_at
    resolved = [m for m in smtp.messages if "Incident resolved" in m["Subject"]]
    assert {m["X-Rcpt"] for m in resolved} == {"owner@example.com", "analyst@example.com"}
    assert "slo_recovered" in [r["headers"]["X-Mesh-Event"] for r in hook_server.requests]
    assert [e.kind for e in incident.entries.all()][0] == "opened"
    assert incident.entries.filter(kind="state", text__startswith="Resolved").exists()

    # every inbox row of the owner links to its subject; the bell counts them
    assert services.unread_count(mesh.owner) >= 3
    assert services.unread_count(mesh.outsider) == 0


def test_delivery_is_at_most_once_per_recipient_and_channel(
    mesh, smtp, hook_server, django_capture_on_commit_callbacks
):
    _hook(hook_server)
    _breach(mesh, django_capture_on_commit_callbacks)
    event = Event.objects.get(type=EventType.INCIDENT_OPENED)
    emails, posts = len(smtp.messages), len(hook_server.requests)
    with django_capture_on_commit_callbacks(execute=True):
        services.fan_out(event)  # a task run twice
        services.retry_due()
    assert len(smtp.messages) == emails and len(hook_server.requests) == posts
    rows = Delivery.objects.filter(event=event)
    assert rows.filter(channel=Channel.EMAIL, recipient=f"user:{mesh.owner.pk}").count() == 1
    assert rows.filter(channel=Channel.INBOX, recipient=f"user:{mesh.owner.pk}").count() == 1
    # the same key is one event
    assert services.publish(EventType.INCIDENT_OPENED, event.key, "again") is None


def test_breaking_contract_change_opens_one_incident(
    mesh, smtp, django_capture_on_commit_callbacks
):
    mesh.port.data_contract = DataContract.objects.create(
        uid="invoices-contract",
        document={
            "schema": [{"name": "invoice", "properties": [{"name": "total"}, {"name": "id"}]}]
        },
    )
    mesh.port.save()
    run = HarvestRun.objects.create(source=mesh.source, status="succeeded")

    def send(run, removed, breaking=True):
        change = {
            "kind": "schema_changed",
            "urn": mesh.asset.urn,
            "detail": {"added": [], "removed": removed, "type_changed": [], "breaking": breaking},
        }
        with django_capture_on_commit_callbacks(execute=True):
            run_changes_recorded.send(HarvestRun, run=run, changes=[change])

    send(run, ["note"])  # not in the contract: a schema change event, no incident
    assert Incident.objects.count() == 0
    assert Event.objects.filter(type=EventType.SCHEMA_CHANGED).count() == 1

    send(HarvestRun.objects.create(source=mesh.source, status="succeeded"), ["total"])
    incident = Incident.objects.get()
    assert incident.cause == "schema_breaking" and incident.episode == f"schema:{mesh.port.pk}"
    assert "total removed" in incident.entries.first().text
    assert "invoices-contract" in incident.description
    assert smtp.to("analyst@example.com"), "downstream owners are told"

    send(HarvestRun.objects.create(source=mesh.source, status="succeeded"), ["id"])
    assert Incident.objects.count() == 1  # the same episode
    assert incident.entries.filter(kind="event", text__contains="id removed").exists()


def test_muting_an_automatic_subscription(mesh, smtp, django_capture_on_commit_callbacks):
    services.mute(mesh.owner, "port", mesh.port.pk)
    _breach(mesh, django_capture_on_commit_callbacks)
    assert Incident.objects.count() == 1
    assert smtp.to("owner@example.com") == []
    assert services.unread_count(mesh.owner) == 0
    assert smtp.to("analyst@example.com")  # the downstream owner still hears
    services.mute(mesh.owner, "port", mesh.port.pk, muted=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(
            EventType.SLO_AT_RISK, "k-after-unmute", "after", targets=[("port", mesh.port.pk)]
        )
    assert services.unread_count(mesh.owner) == 1


def test_explicit_watch_and_event_type_filter(mesh, django_capture_on_commit_callbacks):
    services.watch(mesh.outsider, "asset", mesh.asset.pk, event_types=["schema_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "k1", "risk", targets=[("port", mesh.port.pk)])
        services.publish(
            EventType.SCHEMA_CHANGED, "k2", "schema", targets=[("asset", mesh.asset.pk)]
        )
    titles = [d.event.title for d in services.inbox(mesh.outsider)]
    assert titles == ["schema"]


def test_down_webhook_retries_then_fails_visibly(
    mesh, hook_server, django_capture_on_commit_callbacks, settings
):
    settings.MESH_NOTIFY_MAX_ATTEMPTS = 3
    hook = _hook(hook_server, kind="slack")
    hook_server.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "k-down", "risk", targets=[("port", mesh.port.pk)])
    row = Delivery.objects.get(webhook=hook)
    assert row.state == DeliveryState.RETRYING and row.attempts == 1
    assert row.last_status == 500 and '"ok": false' in row.last_response
    first_wait = row.next_retry_at

    from django.utils import timezone

    services.retry_due(timezone.now())  # not due yet: nothing sent
    assert len(hook_server.requests) == 1
    services.retry_due(first_wait)
    row.refresh_from_db()
    assert row.attempts == 2 and row.state == DeliveryState.RETRYING
    assert row.next_retry_at - first_wait > (first_wait - row.created_at) * 0.9  # backoff grows
    services.retry_due(row.next_retry_at)
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED and row.attempts == 3
    assert "HTTP 500" in row.last_error
    body = hook_server.bodies()[0]
    assert body["text"].startswith("risk") and body["blocks"][0]["type"] == "section"


def test_webhook_comes_back_and_nothing_is_lost(
    mesh, hook_server, django_capture_on_commit_callbacks
):
    hook = _hook(hook_server, kind="teams")
    hook_server.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "k-back", "risk", targets=[("port", mesh.port.pk)])
    row = Delivery.objects.get(webhook=hook)
    hook_server.status = 200
    services.retry_due(row.next_retry_at)
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT and row.last_status == 200
    cards = hook_server.bodies()
    assert cards[-1]["@type"] == "MessageCard" and cards[-1]["title"] == "risk"
    assert len({r["headers"]["X-Mesh-Delivery"] for r in hook_server.requests}) == 1


def test_down_smtp_keeps_emails_for_retry(mesh, smtp, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_PORT = smtp.port + 1 if smtp.port < 65535 else smtp.port - 1  # nobody there
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "k-smtp", "risk", targets=[("port", mesh.port.pk)])
    row = Delivery.objects.get(channel=Channel.EMAIL, user=mesh.owner)
    assert row.state == DeliveryState.RETRYING and row.last_error
    settings.EMAIL_PORT = smtp.port
    services.retry_due(row.next_retry_at)
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
    assert [m["Subject"] for m in smtp.to("owner@example.com")] == ["[Mesh Catalog] risk"]


def test_daily_digest(mesh, smtp, django_capture_on_commit_callbacks):
    services.set_email_mode(mesh.owner, "daily")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            services.publish(
                EventType.SLO_AT_RISK, f"k-d{n}", f"risk {n}", targets=[("port", mesh.port.pk)]
            )
    assert smtp.to("owner@example.com") == []
    assert services.send_digests() == 1
    (digest,) = smtp.to("owner@example.com")
    assert "Daily digest: 3" in digest["Subject"]
    assert "risk 2" in digest.get_payload()
    assert services.send_digests() == 0
    out = io.StringIO()
    call_command("send_digests", stdout=out)
    assert out.getvalue().strip() == "0 digest e-mail(s) sent"
    call_command("retry_notifications", stdout=out)
    assert "0 retried" in out.getvalue()
