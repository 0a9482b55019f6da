"""Queued write path of ``POST /api/v1/lineage`` (issue 13, part 7): validated at once,
appended to the intake table, stored in batches by the drain; nothing lost, nothing
stored twice."""

import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset
from harvesters.kinds.openlineage import api as intake_api
from harvesters.kinds.openlineage import fastpath, ingest
from harvesters.kinds.openlineage.intake import drain_intake, intake_mode
from harvesters.models import OpenLineageIntake
from identity.models import ApiToken
from lineage.models import JobRun, LineageEdge, OpenLineageEvent

DB = "postgres://db:5432"


@pytest.fixture(params=["drf-token", "api-token"])
def api(db, settings, request) -> APIClient:
    """A client with a DRF token (served by the DRF view) or an ``ingest`` API token
    (served by the lean path, :mod:`harvesters.kinds.openlineage.fastpath`)."""
    settings.MESH_OPENLINEAGE_INTAKE = "queue"
    client = APIClient()
    user = User.objects.create_user("pipeline")
    if request.param == "drf-token":
        key = Token.objects.create(user=user).key
    else:
        key = ApiToken.issue(user, "pipeline", ["ingest"], timezone.now() + timedelta(days=1))[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def no_drain(monkeypatch) -> None:
    """No drain after a request (a web process that died, a worker not yet run)."""
    monkeypatch.setattr(intake_api, "schedule_drain", lambda: None)
    monkeypatch.setattr(fastpath, "schedule_drain", lambda: None)


def event(table: str = "orders", event_type: str = "COMPLETE", run_id: str = "") -> dict:
    return {
        "eventType": event_type,
        "eventTime": "2026-11-01T03:00:00Z",
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "etl", "name": f"load_{table}"},
        "inputs": [{"namespace": DB, "name": f"shop.public.raw_{table}"}],
        "outputs": [{"namespace": DB, "name": f"shop.public.{table}"}],
        "producer": "https://example.com/producer",
    }


def post(client, body):
    return client.post("/api/v1/lineage", json.dumps(body), content_type="application/json")


def edge_exists(table: str) -> bool:
    return LineageEdge.objects.filter(
        upstream__urn=f"urn:mc:dataset:{DB}/shop.public.raw_{table}",
        downstream__urn=f"urn:mc:dataset:{DB}/shop.public.{table}",
    ).exists()


def test_mode_follows_the_broker(settings):
    settings.MESH_OPENLINEAGE_INTAKE = "auto"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert intake_mode() == "sync"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert intake_mode() == "queue"
    settings.MESH_OPENLINEAGE_INTAKE = "sync"
    assert intake_mode() == "sync"


def test_a_posted_event_ends_up_in_the_lineage(api, django_capture_on_commit_callbacks):
    # eager Celery (no broker): the drain runs right after the insert commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = post(api, event("orders"))
    assert callbacks[0].__name__ == "schedule_drain"
    assert resp.status_code == 201 and resp.json()["status"] == "queued"
    assert edge_exists("orders")
    assert OpenLineageEvent.objects.count() == 1 and JobRun.objects.count() == 1
    assert not OpenLineageIntake.objects.exists()


def test_queued_events_survive_until_a_drain_and_are_stored_once(api, monkeypatch):
    no_drain(monkeypatch)
    first, second = event("orders"), event("customers")
    assert post(api, first).status_code == 201
    assert post(api, second).status_code == 201
    again = post(api, first)  # a redelivery while queued
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert OpenLineageIntake.objects.count() == 2
    assert not edge_exists("orders") and not OpenLineageEvent.objects.exists()
    call_command("drain_openlineage_intake")
    assert edge_exists("orders") and edge_exists("customers")
    assert OpenLineageEvent.objects.count() == 2 and not OpenLineageIntake.objects.exists()
    # a redelivery after it was stored
    assert post(api, first).json()["status"] == "duplicate"
    assert not OpenLineageIntake.objects.exists()
    # draining again stores nothing twice
    assert drain_intake() == {"stored": 0, "duplicates": 0, "parked": 0, "failed": 0}


def test_a_run_advances_through_queued_events_in_batches(api, monkeypatch):
    no_drain(monkeypatch)
    run_id = str(uuid.uuid4())
    for kind in ("START", "RUNNING", "COMPLETE"):
        assert post(api, event("orders", kind, run_id)).status_code == 201
    for i in range(5):
        post(api, event(f"t{i}"))
    totals = drain_intake(batch=3)
    assert totals["stored"] == 8 and not OpenLineageIntake.objects.exists()
    assert JobRun.objects.get(run_id=run_id).state == "COMPLETE"
    assert all(edge_exists(f"t{i}") for i in range(5))


def test_invalid_events_are_refused_before_the_queue(api):
    resp = post(api, {**event(), "run": {"runId": "not-a-uuid"}})
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "$.run.runId"
    resp = api.post("/api/v1/lineage", "{oops", content_type="application/json")
    assert resp.status_code == 400
    assert not OpenLineageIntake.objects.exists()


def test_an_event_that_cannot_be_stored_is_parked_and_the_rest_stored(api, monkeypatch):
    no_drain(monkeypatch)
    real = ingest.convert

    def convert(e, kind):
        if e["job"]["name"] == "load_poison":
            raise RuntimeError("converter bug")
        return real(e, kind)

    monkeypatch.setattr(ingest, "convert", convert)
    post(api, event("orders"))
    post(api, event("poison"))
    post(api, event("customers"))
    totals = drain_intake()
    assert totals["stored"] == 2 and totals["parked"] == 1
    assert edge_exists("orders") and edge_exists("customers")
    parked = OpenLineageIntake.objects.get()
    assert "converter bug" in parked.last_error
    # parked rows are not tried again...
    assert drain_intake()["parked"] == 0
    # ...until asked, once the bug is fixed
    monkeypatch.setattr(ingest, "convert", real)
    call_command("drain_openlineage_intake", "--retry-parked")
    assert edge_exists("poison") and not OpenLineageIntake.objects.exists()


def test_sync_mode_stores_in_the_request(api, settings):
    settings.MESH_OPENLINEAGE_INTAKE = "sync"
    resp = post(api, event("orders"))
    assert resp.status_code == 201 and resp.json()["status"] == "created"
    assert edge_exists("orders") and not OpenLineageIntake.objects.exists()
    assert Asset.objects.filter(kind="job").count() == 1
