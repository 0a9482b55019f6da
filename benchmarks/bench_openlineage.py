"""Benchmark: OpenLineage intake over HTTP against PostgreSQL, in events per second.

Creates a fresh PostgreSQL database (``mc_olh_bench`` by default), migrates it, makes a
token, starts gunicorn (2 sync workers; ``manage.py runserver`` if gunicorn is missing)
on a free loopback port, then replays the Marquez food_delivery events
(``$MESH_SAMPLES_DIR/openlineage/food_delivery.json``) with fresh run ids:

* ``batch``: N events (default 5,000) posted to ``/api/v1/lineage/batch`` in batches
  (default 500 events) by 2 concurrent clients;
* ``single``: M events (default 1,000) posted one by one to ``/api/v1/lineage`` by 4
  concurrent keep-alive clients.

``--intake queue`` (default) serves the single-event endpoint with the queued write path
(``MESH_OPENLINEAGE_INTAKE=queue``) and starts one Celery worker (``-c 1``, its own queue
name) that drains the intake and processes the outbox; ``single`` is then reported twice:
``single`` = accepted events/s (all 201s returned), ``single_stored`` = events/s until
the last one is stored (intake table empty, every event in ``lineage_openlineageevent``),
and ``lag_s`` the seconds between the last 201 and the last event stored.
``--intake sync`` stores each event in its request (the embedded mode). Requests carry
an ``ingest``-scoped API token (``Authorization: Bearer mcat_...``).

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


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds of process ``root`` and its descendants so far (Linux
    ``/proc``; 0 for processes that are gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2 :].split()
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(p for p, (ppid, _) in stats.items() if ppid == pid)
    return total / tick


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
    parser.add_argument("--intake", choices=["queue", "sync"], default="queue")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--clients", type=int, default=4, help="single-event clients")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    args = parser.parse_args()
    if args.intake == "queue":
        args.outbox = "broker"  # the drain runs on a Celery worker
    queue_name = f"bench-intake-{os.getpid()}"

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
        env["CELERY_BROKER_URL"] = args.broker
        env["MESH_TASK_QUEUE"] = queue_name
    env["MESH_OPENLINEAGE_INTAKE"] = args.intake
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    token = (
        subprocess.run(
            [
                PY,
                "manage.py",
                "shell",
                "-c",
                "from datetime import timedelta; from django.utils import timezone; "
                "from django.contrib.auth.models import User; from identity.models import "
                "ApiToken; print(ApiToken.issue(User.objects.create_user('bench'), 'bench', "
                "['ingest'], timezone.now() + timedelta(days=1))[1])",
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
            "--threads",
            str(args.threads),
        ]
    else:
        cmd = [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    # gunicorn loads config.wsgi, which refuses the development SECRET_KEY
    env = {**env, "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50)}
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    worker = None
    if args.intake == "queue":
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "-c", "1",
             "-Q", queue_name, "--loglevel", "warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    conninfo = f"postgresql://postgres@127.0.0.1:5432/{args.database}"

    def stored_count() -> tuple[int, int]:
        with psycopg.connect(conninfo) as conn:
            stored = conn.execute("SELECT count(*) FROM lineage_openlineageevent").fetchone()[0]
            queued = conn.execute("SELECT count(*) FROM harvesters_openlineageintake").fetchone()
            return stored, queued[0]

    try:
        for _ in range(100):  # wait up to 20 s for the server
            try:
                requests.get(f"{base}/lineage?urn=x", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        results = {"batch": [], "single": [], "single_stored": [], "lag_s": [],
                   "server_cpu_ms_per_event": [], "worker_cpu_ms_per_event": []}  # fmt: skip
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
            before, _ = stored_count()
            server_cpu = cpu_seconds(server.pid)
            worker_cpu = cpu_seconds(worker.pid) if worker else 0.0
            bodies = [json.dumps(e) for e in singles]
            started = time.perf_counter()
            codes = post_all(f"{base}/lineage", token, bodies, clients=args.clients)
            seconds = time.perf_counter() - started
            assert set(codes) == {201}, sorted(set(codes))
            results["single"].append(args.single / seconds)
            server_cpu = cpu_seconds(server.pid) - server_cpu
            deadline = time.monotonic() + 600  # bounded wait for the drain
            while time.monotonic() < deadline:
                stored, queued = stored_count()
                if stored - before >= args.single and not queued:
                    break
                time.sleep(0.05)
            else:
                raise SystemExit(f"not drained in 600 s: {stored - before} stored, {queued} queued")
            total = time.perf_counter() - started
            results["single_stored"].append(args.single / total)
            results["lag_s"].append(total - seconds)
            results["server_cpu_ms_per_event"].append(1000 * server_cpu / args.single)
            worker_cpu = (cpu_seconds(worker.pid) - worker_cpu) if worker else 0.0
            results["worker_cpu_ms_per_event"].append(1000 * worker_cpu / args.single)
            print(
                f"round {round_no + 1}: batch {results['batch'][-1]:.0f} ev/s, "
                f"single {results['single'][-1]:.0f} ev/s accepted, "
                f"{results['single_stored'][-1]:.0f} ev/s stored (lag "
                f"{results['lag_s'][-1]:.2f} s); CPU ms/event: web "
                f"{results['server_cpu_ms_per_event'][-1]:.2f}, worker "
                f"{results['worker_cpu_ms_per_event'][-1]:.2f}",
                flush=True,
            )
        print(
            json.dumps(
                {
                    "events_per_round": {"batch": args.events, "single": args.single},
                    "batch_size": args.batch_size,
                    "server": Path(cmd[0]).name,
                    "workers": args.workers,
                    "threads": args.threads,
                    "clients": args.clients,
                    "outbox": args.outbox,
                    "intake": args.intake,
                    "cores": os.cpu_count(),
                    "median_events_per_s": {
                        k: round(statistics.median(v), 2) for k, v in results.items()
                    },
                    "all_events_per_s": {k: [round(x, 2) for x in v] for k, v in results.items()},
                },
                indent=2,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        if args.outbox == "broker":
            try:
                import redis

                redis.Redis.from_url(args.broker).delete(queue_name)
            except Exception as exc:  # the purge is best effort
                print(f"could not delete the queue {queue_name}: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
