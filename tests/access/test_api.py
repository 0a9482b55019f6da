"""The access API: create, duplicate 409, field errors 400, approve 403/409, lists,
grants revoke/extend, and the pages (inbox badge, My access, product section, CSRF)."""

from django.test import Client

from access.models import AccessRequest, State
from audit.models import AuditEntry
from tests.access.conftest import in_days


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_api_flow(mesh, django_capture_on_commit_callbacks):
    consumer, owner = _client(mesh.consumer), _client(mesh.owner)
    body = {"port": mesh.port.pk, "purpose": "churn model", "end_date": str(in_days(20))}
    created = consumer.post("/api/v1/access-requests", body, content_type="application/json")
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    dup = consumer.post("/api/v1/access-requests", body, content_type="application/json")
    assert dup.status_code == 409 and dup.json()["existing"] == rid
    bad = consumer.post(
        "/api/v1/access-requests",
        {"port": mesh.port.pk, "end_date": str(in_days(999))},
        content_type="application/json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"purpose", "end_date"}
    assert (
        consumer.post(
            f"/api/v1/access-requests/{rid}/approve", content_type="application/json"
        ).status_code
        == 403
    )
    assert _client(mesh.member).post(
        f"/api/v1/access-requests/{rid}/approve", content_type="application/json"
    ).status_code in (
        403,
        404,
    )
    todo = owner.get("/api/v1/access-requests?scope=to_approve").json()
    assert [r["id"] for r in todo["results"]] == [rid]
    assert consumer.get("/api/v1/access-requests?state=requested").json()["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        ok = owner.post(
            f"/api/v1/access-requests/{rid}/approve",
            {"end_date": str(in_days(10))},
            content_type="application/json",
        )
    assert ok.status_code == 200 and ok.json()["end_date"] == str(in_days(10))
    again = owner.post(f"/api/v1/access-requests/{rid}/approve", content_type="application/json")
    assert again.status_code == 409 and again.json()["state"] == "provisioning"
    assert (
        owner.post(
            f"/api/v1/grants/{rid}/mark-provisioned", content_type="application/json"
        ).json()["state"]
        == "active"
    )
    too_far = owner.post(
        f"/api/v1/grants/{rid}/extend",
        {"end_date": str(in_days(500))},
        content_type="application/json",
    )
    assert too_far.status_code == 400 and "end_date" in too_far.json()
    grants = consumer.get(f"/api/v1/grants?product={mesh.product.uid}").json()
    assert [g["state"] for g in grants["results"]] == ["active"]
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            owner.post(f"/api/v1/grants/{rid}/revoke", content_type="application/json").json()[
                "state"
            ]
            == "revoked"
        )
    assert AuditEntry.objects.filter(subject_id=str(rid), action="access.revoked").exists()
    assert "/api/v1/access-requests" in owner.get("/api/schema/").content.decode()


def test_pages_badge_inbox_my_access_and_product_section(mesh, django_capture_on_commit_callbacks):
    consumer, owner = _client(mesh.consumer), _client(mesh.owner)
    form = consumer.get(f"/access/ports/{mesh.port.pk}/request")
    assert form.status_code == 200
    posted = consumer.post(
        f"/access/ports/{mesh.port.pk}/request",
        {"purpose": "", "level": "read", "end_date": ""},
    )
    assert b"purpose: A purpose is required." in posted.content
    consumer.post(
        f"/access/ports/{mesh.port.pk}/request",
        {"purpose": "quarterly report", "level": "read", "end_date": str(in_days(9))},
    )
    req = AccessRequest.objects.get()
    assert b'id="access-inbox-count"' in owner.get("/access/badge").content
    assert b'id="access-inbox-count"' not in consumer.get("/access/badge").content
    assert b"quarterly report" in owner.get("/access/inbox/").content
    assert b"quarterly report" in consumer.get("/access/mine/").content
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/access/requests/{req.pk}/approve", {"end_date": str(in_days(5))})
    owner.post(f"/access/requests/{req.pk}/mark-provisioned")
    assert AccessRequest.objects.get().state == State.ACTIVE
    section = _client(mesh.other).get(f"/access/ports/{mesh.port.pk}/section").content
    assert b"consumer" in section and b"quarterly report" in section
    page = _client(mesh.other).get(f"/products/{mesh.product.uid}/").content
    assert f"/access/ports/{mesh.port.pk}/section".encode() in page
    assert _client(mesh.other).get(f"/access/requests/{req.pk}/").status_code == 403
    asset_page = _client(mesh.other).get(f"/assets/{mesh.asset.urn}").content
    assert f"/access/assets/{mesh.asset.pk}/panel".encode() in asset_page
    panel = _client(mesh.other).get(f"/access/assets/{mesh.asset.pk}/panel").content
    assert f"/access/ports/{mesh.port.pk}/request".encode() in panel
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(mesh.owner)
    assert strict.post(f"/access/requests/{req.pk}/revoke").status_code == 403
    assert AccessRequest.objects.get().state == State.ACTIVE


def test_a_number_filter_beyond_a_database_integer_is_a_400(mesh):
    """Found by schemathesis: ``?port=<20 digits>`` overflowed SQLite (500)."""
    consumer = _client(mesh.consumer)
    for url in ("/api/v1/access-requests", "/api/v1/grants"):
        response = consumer.get(url, {"port": "9" * 20})
        assert response.status_code == 400, (url, response.content)
        assert "port" in response.json()


def test_create_with_a_port_that_is_not_an_id_is_a_400_naming_port(mesh):
    # found by the schema fuzzer: {"port": {...}} was a 500
    consumer = _client(mesh.consumer)
    for port in ({"a": 1}, [1], "1", True, None):
        response = consumer.post(
            "/api/v1/access-requests",
            {"port": port, "purpose": "x"},
            content_type="application/json",
        )
        assert response.status_code == 400 and "port" in response.json(), (port, response.content)
    response = consumer.post("/api/v1/access-requests", [1], content_type="application/json")
    assert response.status_code == 400
