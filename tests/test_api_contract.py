"""Issue 9, item 7: the API keeps to its documented schema (the quick, in-process part).

The full fuzzing is ``make test-schema`` (Schemathesis against a live server, all checks);
these tests pin the defects it found: nullable fields documented as non-null, requests
outside the schema accepted, error responses not declared.
"""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from harvesters.models import HarvestRun, Source


@pytest.fixture
def api(db) -> APIClient:
    client = APIClient()
    user = User.objects.create_user("reader", is_staff=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def schema(api) -> dict:
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_nullable_fields_are_documented_nullable(schema, api):
    components = schema["components"]["schemas"]
    assert components["InputPort"]["properties"]["upstream_product"].get("nullable") is True
    assert components["HarvestRun"]["properties"]["duration_seconds"].get("nullable") is True
    source = Source.objects.create(name="s", kind="openlineage", config={})
    run = HarvestRun.objects.create(source=source, status="running")
    assert api.get(f"/api/v1/runs/{run.pk}").json()["duration_seconds"] is None


def test_every_operation_declares_its_error_responses(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in ("400", "401", "403", "404", "409", "413", "414", "429"):
                assert code in operation["responses"], (method, path, code)
            # gunicorn answers a too-long URL itself, with an HTML page
            assert set(operation["responses"]["414"]["content"]) == {"text/html"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/assets?page=",
        "/api/v1/assets?page=a&page=b",
        "/api/v1/assets?page=0",
        "/api/v1/runs?status=bogus",
        "/api/v1/runs?status=",
        "/api/v1/assets?removed=1",
        "/api/v1/assets?removed=maybe",
        "/api/v1/assets?kind=dataset&kind=job",
        "/api/v1/search/suggest?q=cu&limit=",
    ],
)
def test_requests_outside_the_schema_are_refused(api, url):
    resp = api.get(url)
    assert resp.status_code == 400, (url, resp.content)


def test_valid_filters_still_work(api):
    assert api.get("/api/v1/assets?removed=true&page=1").status_code == 200
    assert api.get("/api/v1/runs?status=running").status_code == 200


def test_form_bodies_are_refused_not_taken_for_an_empty_update(api):
    source = Source.objects.create(name="s", kind="openlineage", config={}, description="keep")
    resp = api.generic(
        "PATCH",
        f"/api/v1/sources/{source.pk}",
        "a=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 415
    source.refresh_from_db()
    assert source.description == "keep"


def test_numbers_are_not_strings(api):
    resp = api.post("/api/v1/domains", {"slug": "num", "name": 12345}, format="json")
    assert resp.status_code == 400 and "name" in resp.json()
    resp = api.post("/api/v1/sources", {"name": "s", "kind": 7, "config": {}}, format="json")
    assert resp.status_code == 400 and "kind" in resp.json()


def test_max_length_counts_the_characters_sent_before_trimming(api):
    # The schema says maxLength 200; DRF used to trim the leading tab first and store 200.
    name = "\t" + "x" * 200
    resp = api.post("/api/v1/domains", {"slug": "long", "name": name}, format="json")
    assert resp.status_code == 400
    assert resp.json()["name"] == ["Ensure this field has no more than 200 characters."]
    resp = api.post("/api/v1/domains", {"slug": "long", "name": "\t" + "x" * 199}, format="json")
    assert resp.status_code == 201 and resp.json()["name"] == "x" * 199


def test_a_write_that_loses_a_race_is_a_409_not_a_500():
    from django.db import IntegrityError

    from catalog.api.errors import exception_handler

    response = exception_handler(IntegrityError("FOREIGN KEY constraint failed"), {})
    assert response.status_code == 409 and "retry" in response.data["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/audit?until=",
        "/api/v1/audit?since=2026-01-01T00:00:00Z&since=2026-02-01T00:00:00Z",
        "/api/v1/audit?format=",
        "/api/v1/usage/top?limit=",
        "/api/v1/usage/top?limit=1&limit=2",
        "/api/v1/usage/top?limit=x",
        "/api/v1/usage/top?window=",
        "/api/v1/runs?source=a&status=queued&status=running",
        # "²".isdigit() is true but int("²") raises: these were 500s
        "/api/v1/subscriptions?page=%C2%B2",
        "/api/v1/assets?page=%C2%B2",
        "/api/v1/search?q=x&page=%C2%B2",
        "/api/v1/search/suggest?q=x&limit=%C2%B2",
        "/api/v1/lineage?urn=x&depth=%C2%B2",
    ],
)
def test_typed_parameters_empty_repeated_or_outside_their_enum_are_refused(api, url):
    resp = api.get(url)
    assert resp.status_code == 400, (url, resp.content)


def test_audit_csv_is_documented(schema, api):
    content = schema["paths"]["/api/v1/audit"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    resp = api.get("/api/v1/audit?format=csv")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert api.get("/api/v1/audit?format=json").status_code == 200
    assert api.get("/api/v1/audit?format=xml").status_code == 404  # DRF: no such renderer


def test_domain_parent_given_as_a_number_is_refused(api):
    """A slug reference is a string: ``"parent": 0`` must not find the domain ``0``."""
    from products.models import Domain

    Domain.objects.create(slug="0", name="zero")
    Domain.objects.create(slug="sales", name="Sales")
    resp = api.put(
        "/api/v1/domains/sales", {"slug": "sales", "name": "Sales", "parent": 0}, format="json"
    )
    assert resp.status_code == 400 and "parent" in resp.json(), resp.content
    ok = api.put(
        "/api/v1/domains/sales", {"slug": "sales", "name": "Sales", "parent": "0"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["parent"] == "0"


def test_patch_domain_body_is_partial(schema, api):
    """PATCH takes ``PatchedDomain`` (no required property), and a body without ``name``
    is a valid partial update. Schemathesis 4.32 reports it as "missing required property:
    name" (see tests/schemathesis.toml); this pins the documented behaviour instead."""
    from products.models import Domain

    body = schema["paths"]["/api/v1/domains/{slug}"]["patch"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/PatchedDomain")
    assert "required" not in schema["components"]["schemas"]["PatchedDomain"]
    Domain.objects.create(slug="sales", name="Sales")
    resp = api.patch("/api/v1/domains/sales", {"description": "revenue"}, format="json")
    assert resp.status_code == 200 and resp.json()["name"] == "Sales"
