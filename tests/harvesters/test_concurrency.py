"""Issue 9, item 5: concurrent writers of the same URNs never fail and never lose data.

Real PostgreSQL, real processes: the module creates a fresh database on the local
PostgreSQL server (``MESH_TEST_PG``), migrates it and serves it with gunicorn (2 worker
processes × 8 threads, each request on its own connection), then posts OpenLineage
events from 20 threads at once and runs two ``manage.py harvest`` processes of one source
at the same time. Runs the same in the SQLite and the PostgreSQL pass; fails (never
skips) when PostgreSQL is down.
"""

import contextlib
import json
import os
import secrets
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from harvesters import registry
from harvesters.models import HarvestRun, Source
from tests.gunicorn_server import staff_token, start_gunicorn

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("MESH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(scope="module")
def pg_catalog(tmp_path_factory):
    """``{url, token, env, conninfo}`` of a catalog on its own PostgreSQL database,
    served by gunicorn on a free loopback port; dropped afterwards."""
    name = f"mesh_concurrency_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("pg-catalog")
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "CELERY_BROKER_URL"}}
    env.update(
        DATABASE_URL=f"{SERVER}/{name}",
        MESH_VAR_DIR=str(tmp / "var"),
        SECRET_KEY=secrets.token_urlsafe(50),
        MESH_SAMPLES_DIR=str(settings.MESH_SAMPLES_DIR),
    )
    manage = [sys.executable, "manage.py"]
    server = None
    try:
        subprocess.run(
            [*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        token = staff_token(env, "pipeline")
        server, url = start_gunicorn(env, threads=8, ready_path="/api/v1/sources")
        yield {"url": url, "token": token, "env": env, "conninfo": f"{SERVER}/{name}"}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(pg_catalog, sql: str, *params) -> int:
    with psycopg.connect(pg_catalog["conninfo"]) as conn:
        return conn.execute(sql, params).fetchone()[0]


def event(run_id: str, i: int, prefix: str, event_type: str = "RUNNING") -> dict:
    """Event ``i`` of run ``run_id``: all write ``<prefix>.orders`` plus their own table."""
    return {
        "eventType": event_type,
        "eventTime": f"2026-11-01T03:{i // 60:02d}:{i % 60:02d}Z",
        "run": {"runId": run_id},
        "job": {"namespace": "etl", "name": f"{prefix}_load"},
        "inputs": [{"namespace": "postgres://db:5432", "name": f"{prefix}.raw_orders"}],
        "outputs": [
            {"namespace": "postgres://db:5432", "name": f"{prefix}.orders"},
            {"namespace": "postgres://db:5432", "name": f"{prefix}.part_{i}"},
        ],
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def post_all(url: str, token: str, bodies: list, workers: int = 20) -> list[int]:
    """POST every body at once from ``workers`` threads; returns the status codes."""
    barrier = threading.Barrier(min(workers, len(bodies)))
    headers = {"Authorization": f"Bearer {token}"}

    def send(body) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        return requests.post(url, json=body, headers=headers, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(send, bodies))


def count_events(pg_catalog, prefix: str) -> int:
    return query(
        pg_catalog,
        "SELECT count(*) FROM lineage_openlineageevent WHERE job_name = %s",
        f"{prefix}_load",
    )


def test_distinct_concurrent_events_of_one_run_are_all_stored(pg_catalog):
    prefix, run_id, codes = f"p{uuid.uuid4().hex[:8]}", str(uuid.uuid4()), []
    for round_ in range(5):  # 5 rounds of 20 distinct events at once: 100 posts
        bodies = [event(run_id, round_ * 20 + i, prefix) for i in range(20)]
        codes += post_all(f"{pg_catalog['url']}/api/v1/lineage", pg_catalog["token"], bodies)
    assert sorted(set(codes)) == [201], codes
    assert count_events(pg_catalog, prefix) == 100
    assert query(pg_catalog, "SELECT count(*) FROM lineage_jobrun WHERE run_id = %s", run_id) == 1
    parts = "SELECT count(*) FROM catalog_asset WHERE qualified_name LIKE %s"
    assert query(pg_catalog, parts, f"{prefix}.part_%") == 100
    assert query(pg_catalog, parts, f"{prefix}.orders") == 1


def test_identical_concurrent_events_store_one(pg_catalog):
    prefix = f"p{uuid.uuid4().hex[:8]}"
    body = event(str(uuid.uuid4()), 1, prefix, "START")
    codes = post_all(f"{pg_catalog['url']}/api/v1/lineage", pg_catalog["token"], [body] * 20)
    assert sorted(codes) == [200] * 19 + [201], codes
    assert count_events(pg_catalog, prefix) == 1


def test_concurrent_overlapping_batches(pg_catalog):
    prefix = f"p{uuid.uuid4().hex[:8]}"
    run_ids = [str(uuid.uuid4()) for _ in range(3)]
    pool = [event(run_ids[i % 3], i, prefix) for i in range(30)]
    batches = [pool[i : i + 10] + pool[(i + 5) % 30 : (i + 5) % 30 + 5] for i in range(0, 30, 3)]
    codes = post_all(
        f"{pg_catalog['url']}/api/v1/lineage/batch", pg_catalog["token"], batches, workers=10
    )
    assert all(code == 200 for code in codes), codes
    assert count_events(pg_catalog, prefix) == len({id(e) for b in batches for e in b})


def test_concurrent_harvests_of_one_source_all_succeed(pg_catalog):
    """Four ``manage.py harvest`` processes of one new source (its assets not yet in the
    catalog, so all insert the same URNs): all succeed, every table once."""
    name = f"chinook-{uuid.uuid4().hex[:6]}"
    chinook = Path(settings.MESH_SAMPLES_DIR) / "chinook" / "Chinook_Sqlite.sqlite"
    config = {"url": f"sqlite:///{chinook}", "namespace": f"sqlite://{name}"}
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [
            *manage,
            "shell",
            "--no-imports",
            "-c",
            "from harvesters.models import Source; "
            f"Source.objects.create(name={name!r}, kind='sql', config={json.dumps(config)})",
        ],
        cwd=ROOT,
        env=pg_catalog["env"],
        check=True,
        timeout=120,
    )
    procs = [
        subprocess.Popen(
            [*manage, "harvest", name],
            cwd=ROOT,
            env=pg_catalog["env"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    assert all(": succeeded in" in out for out in outputs), outputs
    assert (
        query(
            pg_catalog,
            "SELECT count(*) FROM catalog_asset WHERE namespace = %s AND kind = 'dataset'",
            f"sqlite://{name}",
        )
        == 11
    )


def test_second_harvest_of_a_running_source_is_refused_with_409(db, client, monkeypatch):
    monkeypatch.setitem(
        registry.HARVESTERS, "list", "tests.harvesters.test_framework.ListHarvester"
    )
    token = Token.objects.create(user=User.objects.create_user("ops", is_staff=True)).key
    source = Source.objects.create(name="busy", kind="list", config={"tables": ["a"]})
    running = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    resp = client.post(f"/api/v1/sources/{source.pk}/harvest", HTTP_AUTHORIZATION=f"Token {token}")
    assert resp.status_code == 409 and resp.json()["run"] == running.pk
    assert HarvestRun.objects.filter(source=source).count() == 1
