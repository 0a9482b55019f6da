"""The lean path of ``POST /api/v1/lineage`` (issue 13, part 7): what it accepts, what it
hands to the full view, and the quick validator never being more lenient than the JSON
Schema."""

import copy
import json
import os
import random
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from harvesters.kinds.openlineage import fastpath
from harvesters.kinds.openlineage.validation import (
    _VALIDATORS,
    _plainly_valid,
    event_kind,
    validate_event,
)
from harvesters.models import OpenLineageIntake
from identity.models import ApiToken
from lineage.models import OpenLineageEvent

SAMPLES = Path(os.environ.get("MESH_SAMPLES_DIR", "/work/shared/datasets"))


def event(**changes) -> dict:
    base = {
        "eventType": "START",
        "eventTime": "2026-11-01T03:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "etl", "name": "load_orders"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.raw_orders"}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}],
        "producer": "https://example.com/producer",
    }
    return {**base, **changes}


@pytest.fixture
def spy(monkeypatch) -> list:
    """The answers of :func:`fastpath.accept_event` (None: handed to the full view)."""
    seen = []
    real = fastpath.accept_event

    def accept(request):
        seen.append(real(request))
        return seen[-1]

    monkeypatch.setattr(fastpath, "accept_event", accept)
    monkeypatch.setattr(fastpath, "schedule_drain", lambda: None)
    return seen


def client_with(scopes: list[str], settings) -> APIClient:
    settings.MESH_OPENLINEAGE_INTAKE = "queue"
    user = User.objects.create_user(f"u{uuid.uuid4().hex[:8]}")
    key = ApiToken.issue(user, "t", scopes, timezone.now() + timedelta(days=1))[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def post(client, body):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/v1/lineage", text, content_type="application/json")


@pytest.mark.django_db
def test_a_valid_event_is_queued_by_the_lean_path_once(settings, spy):
    api = client_with(["ingest"], settings)
    body = event()
    resp = post(api, body)
    assert resp.status_code == 201 and resp.json() == {"status": "queued", "warnings": []}
    assert resp["Content-Type"] == "application/json" and spy[-1] is not None
    # the same runId / eventType / eventTime again: stored once
    again = post(api, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert spy[-1] is not None and OpenLineageIntake.objects.count() == 1
    # a time stamp without an offset is read as UTC, as Marquez does
    resp = post(api, event(eventTime="2026-11-01T03:00:00"))
    assert resp.status_code == 201 and spy[-1] is not None


@pytest.mark.django_db
def test_bad_events_get_the_full_views_400_naming_the_field(settings, spy):
    api = client_with(["ingest"], settings)
    resp = post(api, event(run={"runId": "abc"}))
    assert resp.status_code == 400 and spy[-1] is None
    assert resp.json()["errors"][0]["path"] == "$.run.runId"
    body = event()
    del body["eventTime"]
    resp = post(api, body)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "$.eventTime"
    resp = post(api, event(job={"namespace": "etl", "name": ""}))
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "$.job.name"
    resp = post(api, "{not json")
    assert resp.status_code == 400 and spy[-1] is None
    assert not OpenLineageIntake.objects.exists()


@pytest.mark.django_db
def test_credentials_it_cannot_vouch_for_go_to_the_full_view(settings, spy):
    no_scope = client_with(["read"], settings)
    resp = post(no_scope, event())
    assert resp.status_code == 403 and "ingest" in resp.json()["detail"] and spy[-1] is None
    anonymous = APIClient()
    assert post(anonymous, event()).status_code == 401 and spy[-1] is None
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION="Bearer mcat_not-a-real-key")
    assert post(revoked, event()).status_code == 401 and spy[-1] is None
    assert not OpenLineageIntake.objects.exists()


@pytest.mark.django_db
def test_sync_mode_and_big_bodies_are_the_full_views(settings, spy):
    api = client_with(["ingest"], settings)
    settings.MESH_OPENLINEAGE_INTAKE = "sync"
    resp = post(api, event())
    assert resp.status_code == 201 and resp.json()["status"] == "created" and spy[-1] is None
    assert OpenLineageEvent.objects.count() == 1
    settings.MESH_OPENLINEAGE_INTAKE = "queue"
    settings.MESH_OPENLINEAGE_MAX_BYTES = 300
    big = event(job={"namespace": "etl", "name": "x" * 400})
    resp = post(api, big)
    assert resp.status_code == 413 and spy[-1] is None
    assert "MESH_OPENLINEAGE_MAX_BYTES" in resp.json()["errors"][0]["message"]


def mutations(sample: dict, rng: random.Random):
    """Variants of ``sample`` with one part removed, emptied or of another type."""
    bad_values = [None, "", 1, 1.5, True, [], {}, "x", "2026-11-01", "not-a-uuid",
                  "2026-11-01T03:00:00+02:00", str(uuid.uuid4()), [None], [{}], {"a": 1}]  # fmt: skip

    def paths(value, prefix=()):
        yield prefix
        if isinstance(value, dict):
            for k, v in value.items():
                yield from paths(v, (*prefix, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from paths(v, (*prefix, i))

    for path in list(paths(sample))[1:]:
        for replacement in [*rng.sample(bad_values, 5), "delete"]:
            variant = copy.deepcopy(sample)
            parent = variant
            for step in path[:-1]:
                parent = parent[step]
            if replacement == "delete":
                if isinstance(parent, dict):
                    del parent[path[-1]]
                else:
                    parent.pop(path[-1])
            else:
                parent[path[-1]] = replacement
            yield variant


def test_the_quick_check_is_never_more_lenient_than_the_schema():
    rng = random.Random(13)
    samples = json.loads((SAMPLES / "openlineage" / "food_delivery.json").read_text())
    samples = samples[:12] + [
        event(run={"runId": str(uuid.uuid4()), "facets": {"nominalTime": {
            "nominalStartTime": "2026-11-01T03:00:00Z"}}}),
        {"eventTime": "2026-11-01T03:00:00Z", "producer": "p",
         "dataset": {"namespace": "n", "name": "d", "facets": {"schema": {}}}},
        {"eventTime": "2026-11-01T03:00:00Z", "producer": "p", "job": {"namespace": "n",
         "name": "j"}, "inputs": None, "outputs": [{"namespace": "n", "name": "o"}]},
    ]  # fmt: skip
    checked = fast = 0
    for sample in samples:
        kind = event_kind(sample)
        assert _plainly_valid(sample, kind), sample  # the common case takes the quick path
        for variant in mutations(sample, rng):
            kind = event_kind(variant)
            if kind is None:
                continue
            checked += 1
            schema_ok = not list(_VALIDATORS[kind].iter_errors(variant))
            if _plainly_valid(variant, kind):
                fast += 1
                assert schema_ok, variant
            assert (validate_event(variant)[1] == []) == schema_ok
    assert checked > 1000 and fast > 100
