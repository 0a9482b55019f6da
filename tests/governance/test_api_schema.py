"""Issue 9 item 7: governance endpoints answer what ``/api/schema/`` documents (found by
``make test-schema``): the policy list is a list, the glossary export's content types
are declared and ``as`` outside its enum is a 400."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tests.openapi_check import assert_conforms


@pytest.fixture
def api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_user("fuzzer", is_staff=True))
    return client


@pytest.fixture
def schema(api) -> dict:
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_policy_list_conforms(api, schema):
    resp = api.get("/api/v1/policies")
    assert resp.status_code == 200 and resp.json()[0]["name"]
    assert_conforms(schema, "/api/v1/policies", "get", resp)


def test_glossary_export_content_types_are_documented(api, schema):
    content = schema["paths"]["/api/v1/glossary/export"]["get"]["responses"]["200"]["content"]
    for fmt, expected in (
        ("", "application/yaml"),
        ("?as=yaml", "application/yaml"),
        ("?as=csv", "text/csv"),
    ):
        resp = api.get(f"/api/v1/glossary/export{fmt}")
        assert resp.status_code == 200
        assert resp["Content-Type"].split(";")[0] == expected
        assert expected in content
    # the YAML answer is a document ({"terms": [...]}), as Schemathesis parses it
    assert content["application/yaml"]["schema"]["type"] == "object"
    assert content["text/csv"]["schema"]["type"] == "string"


@pytest.mark.parametrize("query", ["as=", "as=xml", "as=csv&as=yaml"])
def test_glossary_export_format_outside_the_enum_is_refused(api, query):
    resp = api.get(f"/api/v1/glossary/export?{query}")
    assert resp.status_code == 400 and "as" in resp.json(), resp.content
