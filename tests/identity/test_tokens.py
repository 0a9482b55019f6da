"""API tokens (issue 10, item 4): personal and service-account tokens with scopes and an
expiry, created and revoked on the profile page and over the API, shown once, stored
hashed; OpenLineage clients keep ``Authorization: Bearer``; DRF tokens keep working until
``migrate_api_tokens`` moves them (same key)."""

import json
from datetime import timedelta

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from identity.models import ApiToken

EVENT = {
    "eventType": "COMPLETE",
    "eventTime": "2026-11-01T02:00:00Z",
    "run": {"runId": "4d3b8069-69b6-4708-ade0-3275112c9f04"},
    "job": {"namespace": "food_delivery", "name": "etl_menus"},
    "inputs": [],
    "outputs": [{"namespace": "food_delivery", "name": "public.menus"}],
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}


def bearer(key: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def create(user, **body) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/tokens", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_profile_page_creates_a_token_shown_once_and_revokes_it(world, events):
    client = Client()
    client.force_login(world["olivia"])
    page = client.post(
        "/accounts/profile/", {"name": "laptop", "scopes": ["read", "write"], "expires_in_days": 7}
    )
    assert page.status_code == 200
    html = page.content.decode()
    token = ApiToken.objects.get(name="laptop")
    key = html.split('id="new-token">')[1].split("<")[0]
    assert key.startswith("mcat_") and token.prefix in key
    # stored hashed: the key is nowhere in the database row, and never shown again
    assert key not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert key not in client.get("/accounts/profile/").content.decode()
    assert token.scopes == ["read", "write"] and token.kind == "personal"
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert bearer(key).get("/api/v1/products").status_code == 200
    # revoke from the page: the key stops working at once
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert bearer(key).get("/api/v1/products").status_code == 401
    assert [e["action"] for e in events] == ["login", "token_created", "token_revoked"]
    assert key not in json.dumps(events, default=str)


def test_profile_page_refuses_bad_input_with_a_reason(world):
    client = Client()
    client.force_login(world["oscar"])
    r = client.post(
        "/accounts/profile/", {"name": "x", "scopes": ["read"], "expires_in_days": 9999}
    )
    assert r.status_code == 400 and "Expiry must be 1 to 365 days" in r.content.decode()
    r = client.post("/accounts/profile/", {"name": "x", "scopes": ["admin"]})
    assert r.status_code == 400 and "Only admins" in r.content.decode()
    r = client.post(
        "/accounts/profile/", {"name": "x", "service_account": "airflow", "scopes": ["ingest"]}
    )
    assert r.status_code == 400 and "service-account" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_scopes_decide_what_a_token_may_do(world):
    reader = create(world["olivia"], name="r", scopes=["read"])["key"]
    writer = create(world["olivia"], name="w", scopes=["write"])["key"]
    ingest = create(world["olivia"], name="i", scopes=["ingest"])["key"]
    patch = {"description": "changed"}
    assert bearer(reader).get("/api/v1/products/orders").status_code == 200
    denied = bearer(reader).patch("/api/v1/products/orders", patch, format="json")
    assert denied.status_code == 403 and "lacks the 'write' scope" in denied.json()["detail"]
    assert bearer(writer).patch("/api/v1/products/orders", patch, format="json").status_code == 200
    # the OpenLineage endpoint needs ingest: a write token may not, an ingest token may
    assert bearer(writer).post("/api/v1/lineage", EVENT, format="json").status_code == 403
    assert bearer(ingest).post("/api/v1/lineage", EVENT, format="json").status_code == 201
    assert bearer(ingest, "Token").get("/api/v1/products").status_code == 403  # no read


def test_a_token_without_admin_scope_never_acts_as_staff(world):
    staff = world["staff"]
    plain = create(staff, name="p", scopes=["write"])["key"]
    full = create(staff, name="a", scopes=["admin"])["key"]
    body = {"slug": "hr", "name": "HR"}  # root domains: staff only
    assert bearer(plain).post("/api/v1/domains", body, format="json").status_code == 403
    assert bearer(full).post("/api/v1/domains", body, format="json").status_code == 201
    # and a token manages tokens only with the admin scope
    assert bearer(plain).get("/api/v1/tokens").status_code == 403
    assert bearer(full).get("/api/v1/tokens").status_code == 200


def test_service_account_tokens_are_for_admins(world, events):
    body = {"name": "airflow", "scopes": ["ingest"], "service_account": "airflow"}
    client = APIClient()
    client.force_authenticate(world["olivia"])
    assert client.post("/api/v1/tokens", body, format="json").status_code == 403
    made = create(world["staff"], **body)
    assert made["user"] == "svc-airflow" and made["kind"] == "service"
    assert bearer(made["key"]).post("/api/v1/lineage", EVENT, format="json").status_code == 201
    # the service account cannot sign in with a password
    login = Client()
    login.post("/accounts/login/", {"username": "svc-airflow", "password": ""})
    assert "_auth_user_id" not in login.session
    created = [e for e in events if e["action"] == "token_created"]
    assert created[0]["actor"] == world["staff"] and created[0]["subject"].startswith("svc-")


def test_expired_and_revoked_tokens_get_401(world):
    made = create(world["olivia"], name="short", scopes=["read"], expires_in_days=1)
    ApiToken.objects.filter(pk=made["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = bearer(made["key"]).get("/api/v1/products")
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    other = create(world["olivia"], name="other", scopes=["read"])
    client = APIClient()
    client.force_authenticate(world["olivia"])
    assert client.delete(f"/api/v1/tokens/{other['id']}").status_code == 204
    assert bearer(other["key"]).get("/api/v1/products").status_code == 401
    # someone else's token is not even visible
    client.force_authenticate(world["oscar"])
    assert client.delete(f"/api/v1/tokens/{made['id']}").status_code == 404
    listed = client.get("/api/v1/tokens").json()
    assert listed == [] and "key" not in json.dumps(listed)


def test_drf_tokens_keep_working_then_migrate_with_the_same_key(world, events):
    legacy = Token.objects.create(user=world["olivia"])
    key = legacy.key
    for keyword in ("Token", "Bearer"):
        assert bearer(key, keyword).post("/api/v1/lineage", EVENT, format="json").status_code in (
            200,
            201,
        )
    call_command("migrate_api_tokens", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Token.objects.exists()
    token = ApiToken.objects.get(user=world["olivia"])
    assert set(token.scopes) == {"read", "write", "ingest", "admin"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM identity_apitoken")
        assert key not in repr(cursor.fetchall())
    for keyword in ("Token", "Bearer"):
        assert bearer(key, keyword).get("/api/v1/products").status_code == 200
    assert events[-1]["action"] == "token_created" and events[-1]["detail"]["migrated"]


def test_anonymous_writes_get_401_with_a_bearer_challenge(world):
    r = APIClient().post("/api/v1/lineage", EVENT, format="json")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Bearer")
    assert bearer("mcat_not-a-token").get("/api/v1/products").status_code == 401


def test_admin_lists_tokens_without_keys_and_revokes(world, events):
    made = create(world["olivia"], name="laptop", scopes=["read"])
    admin = Client()
    world["staff"].is_superuser = True
    world["staff"].save()
    admin.force_login(world["staff"])
    page = admin.get("/admin/identity/apitoken/").content.decode()
    assert "laptop" in page and made["key"] not in page
    assert admin.get("/admin/identity/apitoken/add/").status_code == 403
    admin.post(
        "/admin/identity/apitoken/",
        {"action": "revoke", "_selected_action": [made["id"]]},
    )
    assert bearer(made["key"]).get("/api/v1/products").status_code == 401
    assert events[-1]["action"] == "token_revoked" and events[-1]["actor"] == world["staff"]
