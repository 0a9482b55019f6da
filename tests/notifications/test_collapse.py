"""An SLO breach that opens an incident notifies each recipient once: the
``incident_opened`` e-mail / webhook POST (which links the SLO); ``slo_breached`` still
reaches the inbox, and whoever hears only about SLO breaches still gets it."""

from notifications import services
from notifications.models import Channel, Delivery, EventType, Subscription, TargetKind, Webhook
from products.slo import record_sample


def test_breach_sends_one_email_per_recipient_per_episode_start(
    mesh, smtp, hook_server, django_capture_on_commit_callbacks
):
    everything = Webhook.objects.create(name="all", url=hook_server.url + "?all")
    only_slo = Webhook.objects.create(
        name="slo only", url=hook_server.url + "?slo", event_types=[EventType.SLO_BREACHED]
    )
    # the outsider hears only about SLO breaches of the port: not told by the incident
    Subscription.objects.create(
        user=mesh.outsider,
        target_kind=TargetKind.PORT,
        target_id=mesh.port.pk,
        event_types=[EventType.SLO_BREACHED],
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_sample(mesh.slo, 50.0)  # breached: the episode starts

    owner_mail = smtp.to("owner@example.com")
    assert [" ".join(m["Subject"].split()) for m in owner_mail] == [
        "[Mesh Catalog] Incident opened: SLO rows breached on Invoicing / invoices"
    ]
    body = owner_mail[0].get_payload()
    assert "/incidents/" in body and f"/products/{mesh.product.uid}/" in body  # links the SLO
    assert len(smtp.to("analyst@example.com")) == 1  # downstream: the incident only
    (outsider_mail,) = smtp.to("outsider@example.com")
    assert "SLO breached" in outsider_mail["Subject"]

    # the inbox keeps both events (the breach stays in the history)
    owner_inbox = {d.event.type for d in services.inbox(mesh.owner)}
    assert owner_inbox == {EventType.SLO_BREACHED, EventType.INCIDENT_OPENED}
    breached = Delivery.objects.filter(event__type=EventType.SLO_BREACHED)
    assert not breached.filter(channel=Channel.EMAIL, user=mesh.owner).exists()

    posts = [(r["path"].split("?")[1], r["headers"]["X-Mesh-Event"]) for r in hook_server.requests]
    assert sorted(posts) == [("all", "incident_opened"), ("slo", "slo_breached")]
    assert everything.deliveries.count() == 1 and only_slo.deliveries.count() == 1
