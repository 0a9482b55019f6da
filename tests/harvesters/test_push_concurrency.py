"""Issue 13, parts 6 and 7 under concurrency: pushes of the same URNs at once, and the
queued OpenLineage intake, through a real gunicorn (2 workers × 8 threads).

The catalog runs on the database of the pass: a fresh PostgreSQL database in the
PostgreSQL pass (dropped afterwards), a SQLite file in the SQLite pass. Fails (never
skips) when PostgreSQL is down.
"""

import json
import os
import secrets
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.gunicorn_server import start_gunicorn

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("MESH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
NS = "postgres://db:5432"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """``{url, token, sql(query) -> first value}`` of a catalog served by gunicorn with
    the queued OpenLineage intake (drained in the request: no broker)."""
    postgres = connection.vendor == "postgresql"
    tmp = tmp_path_factory.mktemp("push-catalog")
    name = f"mesh_push_{uuid.uuid4().hex[:10]}"
    if postgres:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=10) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        url = f"{SERVER}/{name}"
    else:
        url = f"sqlite:///{tmp / 'catalog.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "CELERY_BROKER_URL"}}
    env.update(
        DATABASE_URL=url,
        MESH_VAR_DIR=str(tmp / "var"),
        SECRET_KEY=secrets.token_urlsafe(50),
        MESH_SAMPLES_DIR=str(settings.MESH_SAMPLES_DIR),
        MESH_OPENLINEAGE_INTAKE="queue",
    )
    manage = [sys.executable, "manage.py"]
    code = (
        "from datetime import timedelta; from django.utils import timezone; "
        "from django.contrib.auth.models import User; from identity.models import ApiToken; "
        "print(ApiToken.issue(User.objects.create_user('pusher'), 'p', ['ingest'], "
        "timezone.now() + timedelta(days=1))[1])"
    )
    server = None
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                       timeout=300)  # fmt: skip
        token = subprocess.run(
            [*manage, "shell", "--no-imports", "-c", code], cwd=ROOT, env=env, check=True,
            capture_output=True, text=True, timeout=120,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        server, base = start_gunicorn(env, threads=8, ready_path="/api/v1/sources")

        def sql(query: str):
            if postgres:
                with psycopg.connect(url) as conn:
                    return conn.execute(query).fetchone()[0]
            import sqlite3

            with sqlite3.connect(tmp / "catalog.sqlite3", timeout=30) as conn:
                return conn.execute(query).fetchone()[0]

        yield {"url": base, "token": token, "sql": sql}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if postgres:
            with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=10) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def items(count: int) -> list[dict]:
    return [
        {
            "urn": f"urn:mc:dataset:{NS}/shop.public.t{i}",
            "fields": [{"name": "id", "data_type": "integer"}, {"name": f"c{i}"}],
            "tags": ["shared"],
            "owners": [{"name": "data-team", "kind": "team"}],
            "upstreams": [{"urn": f"urn:mc:dataset:{NS}/shop.raw.t{i}",
                           "columns": [{"field": "id", "upstream_field": "id"}]}],
        }
        for i in range(count)
    ]  # fmt: skip


def test_concurrent_pushes_of_the_same_urns_all_succeed(catalog):
    body = json.dumps(items(40))
    headers = {"Authorization": f"Bearer {catalog['token']}", "Content-Type": "application/json"}

    def push(i: int) -> tuple[int, dict]:
        # two sources (each with its own lock) and repeats of each: every write races
        resp = requests.post(f"{catalog['url']}/api/v1/assets/bulk?source=src-{i % 2}",
                             data=body, headers=headers, timeout=300)  # fmt: skip
        return resp.status_code, resp.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(push, range(8)))
    assert [code for code, _ in answers] == [200] * 8, answers
    assert all(a["created"] + a["updated"] == 40 for _, a in answers)
    sql = catalog["sql"]
    assert sql("SELECT count(*) FROM catalog_asset WHERE urn LIKE '%shop.public.t%'") == 40
    assert sql("SELECT count(*) FROM catalog_asset WHERE urn LIKE '%shop.raw.t%'") == 40
    assert sql("SELECT count(*) FROM catalog_field") == 40 * 2 + 40
    assert sql("SELECT count(*) FROM harvesters_assetsource") == 80
    assert sql("SELECT count(*) FROM catalog_tag") == 1
    # one edge per source and dataset, one column edge per source and dataset
    assert sql("SELECT count(*) FROM lineage_lineageedge") == 80
    assert sql("SELECT count(*) FROM lineage_fieldlineageedge") == 80


def test_concurrent_single_events_are_all_stored_once(catalog):
    headers = {"Authorization": f"Bearer {catalog['token']}", "Content-Type": "application/json"}

    def event(i: int) -> dict:
        return {
            "eventType": "COMPLETE",
            "eventTime": f"2026-11-01T03:00:{i % 60:02d}Z",
            "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "etl", "name": f"job_{i % 5}"},
            "inputs": [{"namespace": NS, "name": f"shop.src.s{i}"}],
            "outputs": [{"namespace": NS, "name": "shop.public.shared"}],
            "producer": "https://example.com/p",
        }

    events = [event(i) for i in range(30)]
    bodies = [json.dumps(e) for e in events] + [json.dumps(events[0])] * 3  # redeliveries

    def post(body: str) -> int:
        resp = requests.post(f"{catalog['url']}/api/v1/lineage", data=body, headers=headers,
                             timeout=300)  # fmt: skip
        return resp.status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(post, bodies))
    assert set(codes) <= {200, 201} and codes.count(201) >= 30, codes
    sql = catalog["sql"]
    assert sql("SELECT count(*) FROM lineage_openlineageevent") == 30
    assert sql("SELECT count(*) FROM harvesters_openlineageintake") == 0
    shared = "SELECT id FROM catalog_asset WHERE urn LIKE '%shop.public.shared'"
    assert sql(f"SELECT count(*) FROM lineage_lineageedge WHERE downstream_id = ({shared})") == 30
