"""Issue 9, item 7: the access API keeps to its documented schema (found by
``make test-schema``): a request nobody decided has ``decided_by: null`` and the schema
says so; ``scope`` outside its enum is a 400; ``comment`` and ``renew`` document their 201.
"""

import pytest
from django.test import Client

from access.models import AccessRequest
from tests.access.conftest import in_days


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def schema(mesh) -> dict:
    return _client(mesh.staff).get("/api/schema/", {"format": "json"}).json()


@pytest.fixture
def request_id(mesh) -> int:
    return AccessRequest.objects.create(
        consumer=mesh.consumer, port=mesh.port, purpose="churn", end_date=in_days(20)
    ).pk


def test_undecided_request_has_null_decided_by_and_the_schema_allows_it(mesh, schema, request_id):
    props = schema["components"]["schemas"]["AccessRequest"]["properties"]
    assert props["decided_by"].get("nullable") is True
    assert schema["components"]["schemas"]["AccessComment"]["properties"]["author"]["nullable"]
    got = _client(mesh.consumer).get(f"/api/v1/access-requests/{request_id}").json()
    assert got["decided_by"] is None


@pytest.mark.parametrize("query", ["scope=", "scope=everything", "scope=mine&scope=all"])
def test_scope_outside_its_enum_is_a_400(mesh, request_id, query):
    resp = _client(mesh.consumer).get(f"/api/v1/access-requests?{query}")
    assert resp.status_code == 400 and "scope" in resp.json(), resp.content


def test_scopes_in_the_enum_still_list(mesh, request_id):
    consumer = _client(mesh.consumer)
    for scope in ("mine", "all"):
        assert consumer.get(f"/api/v1/access-requests?scope={scope}").json()["count"] == 1
    assert _client(mesh.owner).get("/api/v1/access-requests?scope=to_approve").status_code == 200


def test_comment_and_renew_document_their_201(mesh, schema, request_id):
    paths = schema["paths"]
    assert "201" in paths["/api/v1/access-requests/{id}/comment"]["post"]["responses"]
    assert "201" in paths["/api/v1/grants/{id}/renew"]["post"]["responses"]
    resp = _client(mesh.consumer).post(
        f"/api/v1/access-requests/{request_id}/comment",
        {"text": "any news?"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["author"] == "consumer"


def test_grant_filter_port_empty_is_a_400(mesh, request_id):
    resp = _client(mesh.staff).get("/api/v1/grants?port=")
    assert resp.status_code == 400 and "port" in resp.json()
