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
import resource
import secrets
import shutil
import socket
import sqlite3
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
    """User + system CPU seconds of process ``root`` and its descendants so far, reaped
    children included (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2 :].split()
            # utime + stime, plus cutime + cstime: children that ended and were reaped
            # (PostgreSQL backends of closed connections) still count
            used = sum(int(x) for x in fields[11:15])
            stats[int(entry)] = (int(fields[1]), used)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(p for p, (ppid, _) in stats.items() if ppid == pid)
    return total / tick


def postmaster_pid(conninfo: str) -> int | None:
    """The pid of the local PostgreSQL server process behind ``conninfo`` (the parent
    of this connection's backend), or None when it is not on this machine. Its CPU time
    (:func:`cpu_seconds`) is the whole server's: a per-item figure only on a server the
    benchmark has to itself."""
    try:
        with psycopg.connect(conninfo) as conn:  # read while the backend lives
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            text = Path(f"/proc/{backend}/stat").read_text()
        return int(text[text.rindex(")") + 2 :].split()[1])
    except (OSError, psycopg.Error, ValueError):
        return None


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


WRK_SCRIPT = r"""
-- generated by bench_openlineage.py: POST the food_delivery events, each with a fresh
-- run id (unique per round, thread and request), counting the answers per status
local templates = {TEMPLATES}
local tag = "{TAG}"
counter, ok, dup, other, thread_no = 0, 0, 0, 0, 0  -- globals: thread:get reads them
local threads = {}
function setup(thread)
  thread:set("thread_no", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local body = templates[(counter % #templates) + 1]
  local run_id = string.format("%s-%04x-4000-8000-%012x", tag, thread_no, counter)
  body = string.gsub(body, "__RUNID__", run_id)
  return wrk.format("POST", nil, nil, body)
end
response = function(status, headers, body)
  if status == 201 then ok = ok + 1 elseif status == 200 then dup = dup + 1
  else other = other + 1 end
end
done = function(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("ok"); b = b + t:get("dup"); c = c + t:get("other")
  end
  io.write(string.format(
    'WRKRESULT {"created": %d, "duplicate": %d, "other": %d, "requests": %d, ' ..
    '"seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "errors": %d}\n',
    a, b, c, summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


def lua_string(text: str) -> str:
    """``text`` as a Lua long-bracket string literal."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_single(url: str, token: str, events: list[dict], round_no: int, args) -> dict:
    """Run ``wrk`` (``--wrk-threads`` threads, ``--clients`` keep-alive connections,
    ``--seconds``) posting the events with fresh run ids; returns wrk's counts and
    latencies plus ``client_cpu_s`` (wrk's user + system CPU)."""
    templates = []
    for event in events:
        e = copy.deepcopy(event)
        e["run"]["runId"] = "__RUNID__"
        e["run"].setdefault("facets", {})["bench"] = {"round": round_no}
        templates.append(lua_string(json.dumps(e)))
    tag = secrets.token_hex(4)
    script = WRK_SCRIPT.replace("{TEMPLATES}", "{" + ", ".join(templates) + "}")
    script = script.replace("{TAG}", tag)
    path = Path(tempfile.mkdtemp(prefix="olh-wrk-")) / "post.lua"
    path.write_text(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["wrk", "-t", str(args.wrk_threads), "-c", str(args.clients), "-d",
         f"{args.seconds:g}s", "--timeout", "30s", "-s", str(path),
         "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
         url],
        capture_output=True, text=True, timeout=args.seconds + 120,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRKRESULT "))
    out = json.loads(line.split(" ", 1)[1])
    out["client_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="mc_olh_bench")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument(
        "--pg",
        default=os.environ.get("MESH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database ($MESH_BENCH_PG)",
    )
    parser.add_argument("--outbox", choices=["broker", "eager"], default="broker")
    parser.add_argument("--intake", choices=["queue", "sync"], default="queue")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--clients", type=int, default=4, help="single-event clients")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="single-event load generator: wrk (C, Lua script; default when installed) or "
        "the Python requests client (--single events)",
    )
    parser.add_argument("--seconds", type=float, default=10, help="wrk: seconds per round")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk: threads")
    parser.add_argument(
        "--drain",
        choices=["during", "after"],
        default="during",
        help="queue mode: the Celery worker drains while events are posted (during) or is "
        "started once the posting stopped (after: the endpoint's own rate on the cores)",
    )
    args = parser.parse_args()
    if args.intake == "queue":
        args.outbox = "broker"  # the drain runs on a Celery worker
    queue_name = f"bench-intake-{os.getpid()}"

    samples = Path(os.environ.get("MESH_SAMPLES_DIR", ROOT.parent / "shared" / "datasets"))
    events = json.loads((samples / "openlineage" / "food_delivery.json").read_text())
    var_dir = tempfile.mkdtemp(prefix="olh-bench-")
    if args.sqlite:
        db_url = f"sqlite:///{var_dir}/catalog.sqlite3"
    else:
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{args.database}"')
        db_url = f"{args.pg}/{args.database}"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
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

    def start_worker():
        return subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "-c", "1",
             "-Q", queue_name, "--loglevel", "warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env,
        )  # fmt: skip

    worker = None
    if args.intake == "queue" and args.drain == "during":
        worker = start_worker()
    base = f"http://127.0.0.1:{port}/api/v1"
    conninfo = f"{args.pg}/{args.database}"

    def stored_count() -> tuple[int, int]:
        if args.sqlite:
            conn = sqlite3.connect(f"{var_dir}/catalog.sqlite3", timeout=60)
        else:
            conn = psycopg.connect(conninfo)
        try:
            stored = conn.execute("SELECT count(*) FROM lineage_openlineageevent").fetchone()[0]
            queued = conn.execute("SELECT count(*) FROM harvesters_openlineageintake").fetchone()
            return stored, queued[0]
        finally:
            conn.close()

    db_pid = None if args.sqlite else postmaster_pid(conninfo)
    try:
        for _ in range(100):  # wait up to 20 s for the server
            try:
                requests.get(f"{base}/lineage?urn=x", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        results = {"batch": [], "single": [], "single_stored": [], "lag_s": [],
                   "server_cpu_ms_per_event": [], "worker_cpu_ms_per_event": [],
                   "client_cpu_ms_per_event": [], "p95_ms": [], "load_1min": [],
                   "accepted": [], "db_cpu_ms_per_event": []}  # fmt: skip
        for round_no in range(args.rounds):
            if args.events:
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
            before, _ = stored_count()
            load = os.getloadavg()[0]
            server_cpu = cpu_seconds(server.pid)
            worker_cpu = cpu_seconds(worker.pid) if worker else 0.0
            db_cpu = cpu_seconds(db_pid) if db_pid else 0.0
            started = time.perf_counter()
            if args.client == "wrk":
                out = wrk_single(f"{base}/lineage", token, events, round_no, args)
                if out["other"] or out["duplicate"] or out["errors"]:
                    raise SystemExit(f"wrk: not every answer was a 201: {out}")
                accepted, seconds = out["created"], out["seconds"]
                results["client_cpu_ms_per_event"].append(1000 * out["client_cpu_s"] / accepted)
                results["p95_ms"].append(out["p95_ms"])
            else:
                singles = replay(events, args.single, 1000 + round_no)
                bodies = [json.dumps(e) for e in singles]
                cpu_before = time.process_time()
                codes = post_all(f"{base}/lineage", token, bodies, clients=args.clients)
                seconds = time.perf_counter() - started
                assert set(codes) == {201}, sorted(set(codes))
                accepted = args.single
                results["client_cpu_ms_per_event"].append(
                    1000 * (time.process_time() - cpu_before) / accepted
                )
            results["single"].append(accepted / seconds)
            server_cpu = cpu_seconds(server.pid) - server_cpu
            if db_pid:  # while posting: the INSERTs, not the drain after
                results["db_cpu_ms_per_event"].append(
                    1000 * (cpu_seconds(db_pid) - db_cpu) / accepted
                )
            if args.intake == "queue" and worker is None:
                worker = start_worker()
                worker_cpu = 0.0
            deadline = time.monotonic() + 600  # bounded wait for the drain
            while time.monotonic() < deadline:
                stored, queued = stored_count()
                if stored - before >= accepted and not queued:
                    break
                time.sleep(0.05)
            else:
                raise SystemExit(f"not drained in 600 s: {stored - before} stored, {queued} queued")
            # wrk stops with up to --clients requests in flight: accepted, never counted
            if not accepted <= stored - before <= accepted + args.clients:
                raise SystemExit(f"{accepted} accepted but {stored - before} stored")
            total = time.perf_counter() - started
            results["single_stored"].append(accepted / total)
            results["lag_s"].append(total - seconds)
            results["server_cpu_ms_per_event"].append(1000 * server_cpu / accepted)
            worker_cpu = (cpu_seconds(worker.pid) - worker_cpu) if worker else 0.0
            results["worker_cpu_ms_per_event"].append(1000 * worker_cpu / accepted)
            if args.drain == "after" and worker is not None:
                worker.terminate()
                worker.wait(timeout=60)
                worker = None
            results["load_1min"].append((load + os.getloadavg()[0]) / 2)
            results["accepted"].append(accepted)
            batch = f"batch {results['batch'][-1]:.0f} ev/s, " if args.events else ""
            print(
                f"round {round_no + 1} (load {results['load_1min'][-1]:.2f}): {batch}"
                f"single {results['single'][-1]:.0f} ev/s accepted ({accepted} events), "
                f"{results['single_stored'][-1]:.0f} ev/s stored (lag "
                f"{results['lag_s'][-1]:.2f} s); CPU ms/event: web "
                f"{results['server_cpu_ms_per_event'][-1]:.2f}, worker "
                f"{results['worker_cpu_ms_per_event'][-1]:.2f}, client "
                f"{results['client_cpu_ms_per_event'][-1]:.2f}"
                + (f", PostgreSQL {results['db_cpu_ms_per_event'][-1]:.2f}" if db_pid else ""),
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
                    "client": args.client,
                    "database": "sqlite" if args.sqlite else "postgresql",
                    "outbox": args.outbox,
                    "intake": args.intake,
                    "drain": args.drain,
                    "cores": os.cpu_count(),
                    "median_events_per_s": {
                        k: round(statistics.median(v), 2) for k, v in results.items() if v
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
