"""The per-port Mute button on the product page: a user subscribed automatically to an
output port (owner, consumer team, grant) mutes it there and stops hearing about it."""

from django.test import Client

from notifications import services
from notifications.models import EventType, Subscription, TargetKind


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_owner_mutes_a_port_from_the_product_page(mesh, django_capture_on_commit_callbacks):
    owner = _client(mesh.owner)
    page = owner.get(f"/products/{mesh.product.uid}/").content.decode()
    button_url = f"/subscriptions/port/{mesh.port.pk}/mute-button"
    assert button_url in page  # loaded lazily in the port card

    button = owner.get(button_url).content.decode()
    assert "Notified as owner" in button and 'value="mute"' in button

    muted = owner.post(
        f"/subscriptions/port/{mesh.port.pk}",
        {"action": "mute", "button": "port"},
        HTTP_HX_REQUEST="true",
    )
    assert muted.status_code == 200
    assert "Muted · unmute" in muted.content.decode()
    assert Subscription.objects.get(user=mesh.owner, target_kind=TargetKind.PORT).muted

    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "pm1", "risk", targets=[("port", mesh.port.pk)])
    assert not services.inbox(mesh.owner).exists()  # muted: nothing

    unmuted = owner.post(
        f"/subscriptions/port/{mesh.port.pk}",
        {"action": "unmute", "button": "port"},
        HTTP_HX_REQUEST="true",
    )
    assert 'value="mute"' in unmuted.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "pm2", "risk", targets=[("port", mesh.port.pk)])
    assert [d.event.key for d in services.inbox(mesh.owner)] == ["pm2"]


def test_no_mute_button_without_an_automatic_subscription(mesh):
    button = _client(mesh.outsider).get(f"/subscriptions/port/{mesh.port.pk}/mute-button")
    assert button.status_code == 200 and "Mute" not in button.content.decode()
    assert Client().get(f"/subscriptions/port/{mesh.port.pk}/mute-button").status_code == 200
    assert _client(mesh.owner).get("/subscriptions/port/999999/mute-button").status_code == 404
