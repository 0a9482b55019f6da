"""Issue 9 item 7: a run's changes answer what ``/api/schema/`` documents (found by
``make test-schema``): ``actor`` is null for what a harvest changed."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from harvesters.models import HarvestRun, RunChange, Source
from tests.openapi_check import assert_conforms


@pytest.fixture
def api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_user("fuzzer", is_staff=True))
    return client


def test_run_changes_without_actor_conform(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    source = Source.objects.create(name="s", kind="openlineage", config={})
    run = HarvestRun.objects.create(source=source, status="succeeded")
    RunChange.objects.create(run=run, kind="asset_added", urn="urn:mc:dataset:s/t")
    resp = api.get(f"/api/v1/runs/{run.pk}/changes")
    assert resp.status_code == 200 and resp.json()["results"][0]["actor"] is None
    assert_conforms(schema, "/api/v1/runs/{id}/changes", "get", resp)


@pytest.mark.parametrize("query", ["resume=null", "resume=", "resume=1", "resume=true&resume=true"])
def test_harvest_resume_outside_boolean_is_refused(api, query):
    """``resume`` is a boolean: a 400 naming it, and no run queued."""
    source = Source.objects.create(name="s", kind="sqlite", config={"path": "/nonexistent"})
    resp = api.post(f"/api/v1/sources/{source.pk}/harvest?{query}")
    assert resp.status_code == 400 and "resume" in resp.json(), resp.content
    assert not HarvestRun.objects.filter(source=source).exists()


def test_body_over_the_size_limit_is_a_413_not_a_500(api, settings):
    """Django refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` when the view reads it;
    that was an unhandled RequestDataTooBig (500) on ``POST /runs/<id>/restore``."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    source = Source.objects.create(name="s", kind="openlineage", config={})
    run = HarvestRun.objects.create(source=source, status="succeeded")
    resp = api.post(f"/api/v1/runs/{run.pk}/restore", {"urns": ["0" * 2000]}, format="json")
    assert resp.status_code == 413, resp.content
    assert "too large" in resp.json()["detail"]


@pytest.mark.parametrize(
    "body, field",
    [({"kind": "sql"}, "config"), ({"config": {"url": "x"}}, "kind"),
     ({"kind": "sql", "config": "x"}, "config")],
)  # fmt: skip
def test_new_source_connection_test_needs_kind_and_config(api, body, field):
    """The documented body of a new source's test has ``kind`` and ``config`` required."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    request = schema["paths"]["/api/v1/sources/test-connection"]["post"]["requestBody"]
    ref = request["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"kind", "config"} <= set(schema["components"]["schemas"][ref]["required"])
    resp = api.post("/api/v1/sources/test-connection", body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content


@pytest.mark.parametrize("body", ["null", "[]", "0", "false", '""'])
def test_restore_body_that_is_not_an_object_is_refused(api, body):
    """A falsy non-object body was taken for "restore everything" (200)."""
    source = Source.objects.create(name="s", kind="openlineage", config={})
    run = HarvestRun.objects.create(source=source, status="succeeded")
    resp = api.generic(
        "POST", f"/api/v1/runs/{run.pk}/restore", body, content_type="application/json"
    )
    assert resp.status_code == 400, resp.content


def test_stored_source_probe_body_is_partial(api):
    """A stored source's test takes ``Probe`` (no required property): without ``config``
    the stored config is tested (see tests/schemathesis.toml)."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body = schema["paths"]["/api/v1/sources/{id}/test-connection"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/Probe")
    assert "required" not in schema["components"]["schemas"]["Probe"]
    source = Source.objects.create(name="s", kind="openlineage", config={})
    resp = api.post(f"/api/v1/sources/{source.pk}/test-connection", {}, format="json")
    assert resp.status_code == 200 and set(resp.json()) >= {"ok", "message"}, resp.content


def test_put_source_without_config_keeps_the_stored_config(api, tmp_path, settings):
    """``Source`` does not require ``config`` (the model's default): a PUT without it
    keeps the stored config, as documented (see tests/schemathesis.toml)."""
    settings.MESH_SOURCE_PATH_ROOTS = [str(tmp_path)]
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body = schema["paths"]["/api/v1/sources/{id}"]["put"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/Source")
    assert "config" not in schema["components"]["schemas"]["Source"]["required"]
    source = Source.objects.create(name="s", kind="lake", config={"path": str(tmp_path)})
    resp = api.put(
        f"/api/v1/sources/{source.pk}",
        {"name": "s", "kind": "lake", "description": "", "enabled": False, "schedule": None},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["config"] == {"path": str(tmp_path)} and resp.json()["enabled"] is False
