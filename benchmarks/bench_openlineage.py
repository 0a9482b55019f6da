"""Benchmark: OpenLineage intake over HTTP against PostgreSQL, in events per second.

Creates a fresh PostgreSQL database (``mc_olh_bench`` by default), migrates it, makes a
token, starts gunicorn (2 sync workers; ``manage.py runserver`` if gunicorn is missing)
on a free loopback port, then replays the Marquez food_delivery events
(``$MESH_SAMPLES_DIR/openlineage/food_delivery.json``) with fresh run ids:

* ``batch``: N events (default 5,000) posted to ``/api/v1/lineage/batch`` in batches
  (default 500 events) by 2 concurrent clients;
* ``single``: M events (default 1,000) posted one by one to ``/api/v1/lineage`` by 4
  concurrent keep-alive clients.

Each mode runs 3 times; the median events/s is reported. Only loopback traffic; every
loop is bounded. ``--outbox broker`` (default) queues outbox processing on Redis
(``CELERY_BROKER_URL=redis://127.0.0.1:6379/14``, its ``celery`` queue deleted afterwards) as a deployment with
workers does; ``--outbox eager`` processes the outbox inside each request (the default
embedded mode). Usage::

    .venv/bin/python benchmarks/bench_openlineage.py [--events 5000] [--single 1000]
"""

import argparse
import concurrent.futures
import copy
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def replay(events: list[dict], count: int, round_no: int) -> list[dict]:
    """``count`` events: copies of ``events`` with fresh run ids (pairs kept together)."""
    out = []
    copy_no = 0
    while len(out) < count:
        ids: dict[str, str] = {}
        for event in events:
            e = copy.deepcopy(event)
            old = e["run"]["runId"]
            e["run"]["runId"] = ids.setdefault(old, str(uuid.uuid4()))
            e["run"].setdefault("facets", {})["bench"] = {"round": round_no, "copy": copy_no}
            out.append(e)
        copy_no += 1
    return out[:count]


def post_all(url: str, token: str, bodies: list[str], clients: int) -> list[int]:
    """POST each body with ``clients`` keep-alive sessions; returns the status codes."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    shards = [bodies[i::clients] for i in range(clients)]

    def run(shard: list[str]) -> list[int]:
        with requests.Session() as session:
            return [
                session.post(url, data=b, headers=headers, timeout=300).status_code for b in shard
            ]

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return [c for codes in pool.map(run, shards) for c in codes]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="mc_olh_bench")
    parser.add_argument("--outbox", choices=["broker", "eager"], default="broker")
    args = parser.parse_args()

    samples = Path(os.environ.get("MESH_SAMPLES_DIR", ROOT.parent / "shared" / "datasets"))
    events = json.loads((samples / "openlineage" / "food_delivery.json").read_text())
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    var_dir = tempfile.mkdtemp(prefix="olh-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "MESH_VAR_DIR": var_dir,
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
    }
    if args.outbox == "broker":
        env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/14"
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    token = (
        subprocess.run(
            [
                PY,
                "manage.py",
                "shell",
                "-c",
                "from django.contrib.auth.models import User; from rest_framework.authtoken.models "
                "import Token; print(Token.objects.create(user=User.objects.create_user('bench')).key)",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    if gunicorn.exists():
        cmd = [
            str(gunicorn),
            "config.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ]
    else:
        cmd = [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    # gunicorn loads config.wsgi, which refuses the development SECRET_KEY
    env = {**env, "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50)}
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):  # wait up to 20 s for the server
            try:
                requests.get(f"{base}/lineage?urn=x", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        results = {"batch": [], "single": []}
        for round_no in range(args.rounds):
            batch_events = replay(events, args.events, round_no)
            bodies = [
                json.dumps(batch_events[i : i + args.batch_size])
                for i in range(0, len(batch_events), args.batch_size)
            ]
            started = time.perf_counter()
            codes = post_all(f"{base}/lineage/batch", token, bodies, clients=2)
            seconds = time.perf_counter() - started
            assert set(codes) == {200}, codes
            results["batch"].append(args.events / seconds)
            singles = replay(events, args.single, 1000 + round_no)
            started = time.perf_counter()
            codes = post_all(f"{base}/lineage", token, [json.dumps(e) for e in singles], clients=4)
            seconds = time.perf_counter() - started
            assert set(codes) == {201}, sorted(set(codes))
            results["single"].append(args.single / seconds)
            print(
                f"round {round_no + 1}: batch {results['batch'][-1]:.0f} ev/s, "
                f"single {results['single'][-1]:.0f} ev/s",
                flush=True,
            )
        print(
            json.dumps(
                {
                    "events_per_round": {"batch": args.events, "single": args.single},
                    "batch_size": args.batch_size,
                    "server": Path(cmd[0]).name,
                    "workers": args.workers,
                    "outbox": args.outbox,
                    "cores": os.cpu_count(),
                    "median_events_per_s": {
                        k: round(statistics.median(v)) for k, v in results.items()
                    },
                    "all_events_per_s": {k: [round(x) for x in v] for k, v in results.items()},
                },
                indent=2,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.outbox == "broker":
            try:
                import redis

                redis.Redis.from_url("redis://127.0.0.1:6379/14").delete("celery")
            except Exception as exc:  # the purge is best effort
                print(f"could not delete the celery queue of redis db 14: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
