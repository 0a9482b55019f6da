"""Issue 9, item 5: concurrent writers of the same URNs never fail and never lose data.

Real HTTP requests from real threads against the live server (a threaded WSGI server;
on PostgreSQL every request has its own connection, so the writes truly race), and real
harvests in parallel threads. Run by the PostgreSQL pass of ``make test``
(``DATABASE_URL=postgres://...``); on SQLite writers are serialized by the database.
"""

import contextlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token

from catalog.models import Asset
from harvesters import registry
from harvesters.models import HarvestRun, Source
from harvesters.runner import run_harvest
from lineage.models import JobRun, OpenLineageEvent

pytestmark = pytest.mark.django_db(transaction=True)
SHARED = {"namespace": "postgres://db:5432", "name": "shop.public.orders"}


@pytest.fixture
def token(db) -> str:
    user = User.objects.create_user("pipeline", is_staff=True)
    return Token.objects.create(user=user).key


def event(run_id: str, i: int, event_type: str = "RUNNING") -> dict:
    """Event ``i`` of run ``run_id``: all write ``shop.public.orders`` plus their own table."""
    return {
        "eventType": event_type,
        "eventTime": f"2026-11-01T03:{i // 60:02d}:{i % 60:02d}Z",
        "run": {"runId": run_id},
        "job": {"namespace": "etl", "name": "load_orders"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.raw_orders"}],
        "outputs": [SHARED, {"namespace": "postgres://db:5432", "name": f"shop.public.part_{i}"}],
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def post_all(url: str, token: str, bodies: list, workers: int = 20) -> list[int]:
    """POST every body at once from ``workers`` threads; returns the status codes."""
    barrier = threading.Barrier(min(workers, len(bodies)))
    session_headers = {"Authorization": f"Bearer {token}"}

    def send(body) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        return requests.post(url, json=body, headers=session_headers, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(send, bodies))


def test_distinct_concurrent_events_of_one_run_are_all_stored(live_server, token):
    run_id = str(uuid.uuid4())
    codes = []
    for round_ in range(5):  # 5 rounds of 20 distinct events: 100 posts
        bodies = [event(run_id, round_ * 20 + i) for i in range(20)]
        codes += post_all(f"{live_server.url}/api/v1/lineage", token, bodies)
    assert sorted(set(codes)) == [201], codes
    assert OpenLineageEvent.objects.count() == 100
    assert JobRun.objects.filter(run_id=run_id).count() == 1
    assert Asset.objects.filter(name__startswith="part_").count() == 100
    assert Asset.objects.filter(qualified_name="shop.public.orders").count() == 1


def test_identical_concurrent_events_store_one(live_server, token):
    body = event(str(uuid.uuid4()), 1, "START")
    codes = post_all(f"{live_server.url}/api/v1/lineage", token, [body] * 20)
    assert sorted(codes) == [200] * 19 + [201], codes
    assert OpenLineageEvent.objects.count() == 1


def test_concurrent_overlapping_batches(live_server, token):
    run_ids = [str(uuid.uuid4()) for _ in range(3)]
    pool = [event(run_ids[i % 3], i) for i in range(30)]
    batches = [pool[i : i + 10] + pool[(i + 5) % 30 : (i + 5) % 30 + 5] for i in range(0, 30, 3)]
    codes = post_all(f"{live_server.url}/api/v1/lineage/batch", token, batches, workers=10)
    assert all(code == 200 for code in codes), codes
    assert OpenLineageEvent.objects.count() == len({id(e) for b in batches for e in b})


def test_two_concurrent_harvests_of_one_source_both_succeed(db, monkeypatch):
    monkeypatch.setitem(registry.HARVESTERS, "list", "tests.test_framework_smoke.ListHarvester")
    tables = [f"t{i}" for i in range(300)]
    source = Source.objects.create(name="wide", kind="list", config={"tables": tables})
    barrier = threading.Barrier(2)
    runs: list[HarvestRun] = []

    def harvest() -> None:
        try:
            barrier.wait(timeout=30)
            runs.append(run_harvest(Source.objects.get(pk=source.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=harvest) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert [r.status for r in runs] == ["succeeded", "succeeded"], [r.errors for r in runs]
    assert Asset.objects.filter(qualified_name__startswith="t").count() == 300


def test_harvest_and_openlineage_writing_the_same_urns(live_server, token, monkeypatch):
    """A harvest and OpenLineage deliveries naming the same datasets at the same time."""
    monkeypatch.setitem(registry.HARVESTERS, "list", "tests.test_framework_smoke.ListHarvester")
    names = [f"t{i}" for i in range(200)]
    source = Source.objects.create(name="wide", kind="list", config={"tables": names})
    run_id = str(uuid.uuid4())
    bodies = []
    for i in range(20):
        body = event(run_id, i)
        body["job"]["namespace"] = "test://x"
        body["outputs"] = [
            {"namespace": "test://x", "name": n} for n in names[i * 10 : i * 10 + 10]
        ]
        bodies.append(body)
    result: list[HarvestRun] = []

    def harvest() -> None:
        try:
            result.append(run_harvest(Source.objects.get(pk=source.pk)))
        finally:
            connection.close()

    thread = threading.Thread(target=harvest)
    thread.start()
    codes = post_all(f"{live_server.url}/api/v1/lineage", token, bodies)
    thread.join(timeout=300)
    assert sorted(set(codes)) == [201], codes
    assert result[0].status == "succeeded", result[0].errors
    assert Asset.objects.filter(namespace="test://x", kind="dataset").count() == 200


def test_second_harvest_of_a_running_source_is_refused_with_409(token, client, monkeypatch):
    monkeypatch.setitem(registry.HARVESTERS, "list", "tests.test_framework_smoke.ListHarvester")
    source = Source.objects.create(name="busy", kind="list", config={"tables": ["a"]})
    running = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    resp = client.post(f"/api/v1/sources/{source.pk}/harvest", HTTP_AUTHORIZATION=f"Token {token}")
    assert resp.status_code == 409 and resp.json()["run"] == running.pk
    assert HarvestRun.objects.filter(source=source).count() == 1
