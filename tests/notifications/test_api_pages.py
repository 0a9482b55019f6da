"""The API (``/api/v1/incidents``, ``/subscriptions``, ``/notifications``,
``/webhooks``) and the pages (bell, inbox, My subscriptions, Watch, incidents, badges)."""

from django.test import Client

from catalog.outbox import process_outbox
from notifications import incidents, services
from notifications.models import EventType, Incident, Subscription
from tests.base import count_queries


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_subscriptions_api(mesh):
    api = login(mesh.outsider)
    made = api.post(
        "/api/v1/subscriptions",
        {"target_kind": "product", "target_id": mesh.product.pk, "event_types": ["deprecation"]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["event_types"] == ["deprecation"]
    listed = api.get("/api/v1/subscriptions").json()["results"]
    assert [s["target_id"] for s in listed] == [mesh.product.pk]
    bad = api.post(
        "/api/v1/subscriptions",
        {"target_kind": "planet", "target_id": 1},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "target_kind" in bad.json()
    missing = api.post(
        "/api/v1/subscriptions",
        {"target_kind": "asset", "target_id": 999999},
        content_type="application/json",
    )
    assert missing.status_code == 400 and "no asset" in str(missing.json())
    wrong_type = api.post(
        "/api/v1/subscriptions",
        {"target_kind": "asset", "target_id": mesh.asset.pk, "event_types": ["nope"]},
        content_type="application/json",
    )
    assert wrong_type.status_code == 400 and "event_types" in wrong_type.json()
    not_member = api.post(
        "/api/v1/subscriptions",
        {"target_kind": "asset", "target_id": mesh.asset.pk, "team": "sales"},
        content_type="application/json",
    )
    assert not_member.status_code == 403
    sub = made.json()["id"]
    assert api.patch(
        f"/api/v1/subscriptions/{sub}", {"muted": True}, content_type="application/json"
    ).json()["muted"]
    assert api.delete(f"/api/v1/subscriptions/{sub}").status_code == 204
    assert Client().get("/api/v1/subscriptions").status_code in (401, 403)


def test_notifications_api(mesh, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "a1", "risk", targets=[("port", mesh.port.pk)])
    api = login(mesh.owner)
    rows = api.get("/api/v1/notifications").json()["results"]
    assert [(r["type"], r["title"], r["read"]) for r in rows] == [("slo_at_risk", "risk", False)]
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    done = api.post(
        "/api/v1/notifications/read", {"ids": [rows[0]["id"]]}, content_type="application/json"
    )
    assert done.json() == {"marked": 1}
    assert api.get("/api/v1/notifications?unread=true").json()["results"] == []
    assert login(mesh.outsider).get("/api/v1/notifications").json()["results"] == []


def test_incidents_api(mesh, django_capture_on_commit_callbacks):
    api = login(mesh.owner)
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(
            "/api/v1/incidents",
            {"title": "Totals are zero", "severity": "critical", "product": "invoicing"},
            content_type="application/json",
        )
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["state"] == "open" and data["asset"] == mesh.asset.urn
    assert data["impact"]["products"][0]["uid"] == "reporting"
    pk = data["id"]
    assert (
        api.post(
            "/api/v1/incidents",
            {"title": "x", "asset": "urn:nope"},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert login(mesh.outsider).post(f"/api/v1/incidents/{pk}/acknowledge").status_code == 403
    acked = api.post(f"/api/v1/incidents/{pk}/acknowledge")
    assert acked.json()["state"] == "acknowledged" and acked.json()["assignee"] == "owner"
    again = api.post(f"/api/v1/incidents/{pk}/acknowledge")
    assert again.status_code == 409 and again.json()["state"] == "acknowledged"
    assert (
        api.post(
            f"/api/v1/incidents/{pk}/comment", {"text": ""}, content_type="application/json"
        ).status_code
        == 400
    )
    api.post(
        f"/api/v1/incidents/{pk}/comment", {"text": "Looking"}, content_type="application/json"
    )
    api.post(f"/api/v1/incidents/{pk}/update", {"severity": "low"}, content_type="application/json")
    resolved = api.post(
        f"/api/v1/incidents/{pk}/resolve", {"note": "fixed"}, content_type="application/json"
    ).json()
    assert resolved["state"] == "resolved" and resolved["severity"] == "low"
    kinds = [e["kind"] for e in api.get(f"/api/v1/incidents/{pk}").json()["timeline"]]
    assert kinds == ["opened", "state", "comment", "severity", "state"]
    assert api.get("/api/v1/incidents?state=resolved").json()["count"] == 1
    assert api.get("/api/v1/incidents?state=open").json()["count"] == 0
    assert api.get("/api/v1/incidents?state=bogus").status_code == 400
    # the analyst downstream was told
    assert services.inbox(mesh.analyst).filter(event__type="incident_opened").exists()


def test_webhooks_api_and_delivery_log(mesh, hook_server, django_capture_on_commit_callbacks):
    api = login(mesh.owner)
    made = api.post(
        "/api/v1/webhooks",
        {
            "name": "sales slack",
            "url": hook_server.url,
            "kind": "slack",
            "secret": "x",
            "team": "sales",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["secret"] == "********"  # masked, never the secret
    assert (
        login(mesh.outsider)
        .post(
            "/api/v1/webhooks",
            {"name": "n", "url": hook_server.url, "team": "sales"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(EventType.SLO_AT_RISK, "w1", "risk", targets=[("port", mesh.port.pk)])
    log = api.get(f"/api/v1/webhooks/{made.json()['id']}/deliveries").json()
    assert [(d["type"], d["state"], d["last_status"]) for d in log] == [
        ("slo_at_risk", "sent", 200)
    ]
    assert log[0]["last_response"] == '{"ok": true}'


def test_bell_inbox_and_mark_read(mesh, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(
            EventType.SLO_AT_RISK,
            "b1",
            "Invoices at risk",
            url="/products/invoicing/",
            targets=[("port", mesh.port.pk)],
        )
    web = login(mesh.owner)
    assert 'hx-get="/notifications/bell"' in web.get("/").content.decode()
    bell = web.get("/notifications/bell").content.decode()
    assert 'id="notify-unread">1<' in bell
    page = web.get("/notifications/").content.decode()
    assert "Invoices at risk" in page
    row = services.inbox(mesh.owner).get()
    opened = web.get(f"/notifications/{row.pk}/open")
    assert opened.status_code == 302 and opened["Location"] == "/products/invoicing/"
    assert "notify-unread" not in web.get("/notifications/bell").content.decode()
    assert login(mesh.outsider).get(f"/notifications/{row.pk}/open").status_code == 404


def test_watch_button_and_my_subscriptions(mesh):
    web = login(mesh.outsider)
    button = web.get(f"/subscriptions/button/asset/{mesh.asset.pk}").content.decode()
    assert 'value="watch"' in button
    done = web.post(
        f"/subscriptions/asset/{mesh.asset.pk}", {"action": "watch"}, HTTP_HX_REQUEST="true"
    )
    assert "Watching" in done.content.decode()
    assert Subscription.objects.filter(user=mesh.outsider, target_kind="asset").exists()
    assert web.post(f"/subscriptions/asset/{mesh.asset.pk}", {"action": "fly"}).status_code == 400
    page = web.get("/subscriptions/").content.decode()
    assert "chinook.public.invoice" in page or "invoice" in page
    owner_page = login(mesh.owner).get("/subscriptions/").content.decode()
    assert "Invoicing / invoices" in owner_page and ">owner<" in owner_page
    login(mesh.owner).post(f"/subscriptions/port/{mesh.port.pk}", {"action": "mute"})
    assert "Unmute" in login(mesh.owner).get("/subscriptions/").content.decode()
    from products.models import Domain

    domain = Domain.objects.create(slug="finance", name="Finance")
    page = web.get("/domains/finance/").content.decode()
    assert f'hx-get="/subscriptions/button/domain/{domain.pk}"' in page
    assert (
        f'hx-get="/subscriptions/button/product/{mesh.product.pk}"'
        in web.get("/products/invoicing/").content.decode()
    )
    saved = login(mesh.owner).post("/subscriptions/email", {"email_mode": "weekly"})
    assert saved.status_code == 302 and services.email_mode(mesh.owner) == "immediate"


def test_incident_pages_and_badges(mesh, django_capture_on_commit_callbacks):
    web = login(mesh.owner)
    form = web.get(f"/incidents/new?asset={mesh.asset.pk}")
    assert form.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        made = web.post(
            "/incidents/new", {"asset": mesh.asset.pk, "title": "Late data", "severity": "medium"}
        )
    incident = Incident.objects.get()
    assert made["Location"] == f"/incidents/{incident.pk}/"
    page = web.get(made["Location"]).content.decode()
    assert "Late data" in page and 'id="acknowledge"' in page and "revenue" in page
    web.post(f"/incidents/{incident.pk}/acknowledge")
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    asset_page = web.get(f"/assets/{mesh.asset.urn}").content.decode()
    assert f"/incidents/{incident.pk}/" in asset_page and "Report incident" in asset_page
    listing = web.get("/products/").content.decode()
    assert "1 open incident" in listing
    assert web.get("/incidents/").content.decode().count("Late data") == 1
    assert web.get("/incidents/new").status_code == 400
    process_outbox()  # the search index follows the assets
    hits = web.get("/search?q=invoice").content.decode()
    assert f"/incidents/?asset={mesh.asset.pk}" in hits and "1 open incident" in hits
    incidents.resolve(incident, mesh.owner)
    assert "open incident" not in web.get("/products/").content.decode()


def test_product_list_badges_have_flat_queries(mesh):
    from products.models import DataProduct

    web = login(mesh.owner)
    before, _ = count_queries(web, "/products/")
    for n in range(5):
        product = DataProduct.objects.create(uid=f"p{n}", name=f"P{n}")
        incidents.open_incident(episode=f"e{n}", title="t", product=product, user=mesh.owner)
    after, _ = count_queries(web, "/products/")
    assert after == before
