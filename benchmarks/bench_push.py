"""Benchmark: ``POST /api/v1/assets/bulk`` (push API) over HTTP, in assets per second.

Creates a fresh PostgreSQL database (``--database``, default ``mc_push_bench``; or
``--sqlite`` for a SQLite file), migrates it, makes an ``ingest`` token, starts gunicorn
(2 sync workers) on a free loopback port, then pushes N synthetic datasets (default
20,000; each with ``--fields`` columns (10), 2 tags, an owner, one upstream edge through a
job with 3 column edges) in requests of ``--chunk`` items (1,000) as JSON arrays, by
``--clients`` concurrent clients (2), each to its own source:

* ``create``: the first push (every asset, field, edge new);
* ``update``: the same items again (idempotent: nothing new, every row merged);
* ``complete``: the same items with ``complete=true`` (adds stale removal).

Outbox processing (search index, graph) is queued on Redis (``--broker``, its queue
deleted afterwards) as in a deployment with Celery workers; no worker runs, so the
figures are the push's own write path.

Each phase runs ``--rounds`` times (3; a round pushes to fresh URNs for ``create``);
the median assets/s is reported. Only loopback traffic; every loop is bounded. Usage::

    .venv/bin/python benchmarks/bench_push.py [--assets 20000 --chunk 1000 --clients 2]
"""

import argparse
import concurrent.futures
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_openlineage import cpu_seconds, free_port, postmaster_pid  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")


def items(prefix: str, count: int, fields: int) -> list[dict]:
    """``count`` dataset items named ``<prefix>_<i>``, each fed by ``<prefix>_raw_<i>``."""
    ns = "postgres://bench:5432"
    out = []
    for i in range(count):
        out.append(
            {
                "urn": f"urn:mc:dataset:{ns}/shop.{prefix}.t{i}",
                "description": f"table {i}",
                "row_count": i,
                "fields": [
                    {"name": f"c{j}", "data_type": "integer" if j % 2 else "string",
                     "native_type": "INT4" if j % 2 else "TEXT", "nullable": j > 0,
                     "is_primary_key": j == 0}
                    for j in range(fields)
                ],
                "owners": [{"name": f"team-{i % 20}", "kind": "team"}],
                "tags": ["bench", f"tier-{i % 3}"],
                "upstreams": [
                    {
                        "urn": f"urn:mc:dataset:{ns}/shop.{prefix}_raw.t{i}",
                        "job": f"urn:mc:job:airflow://bench/{prefix}_load_{i % 100}",
                        "columns": [{"field": f"c{j}", "upstream_field": f"c{j}"}
                                    for j in range(min(3, fields))],
                    }
                ],
            }
        )  # fmt: skip
    return out


def push_all(url: str, token: str, jobs: list[tuple[str, list[str]]], complete: bool) -> None:
    """POST each client's bodies to its source, clients in parallel; asserts 200s."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def run(job: tuple[str, list[str]]) -> list[int]:
        source, bodies = job
        query = f"?source={source}" + ("&complete=true" if complete else "")
        with requests.Session() as session:
            codes = []
            for body in bodies:
                resp = session.post(url + query, data=body, headers=headers, timeout=600)
                if resp.status_code != 200:
                    raise SystemExit(f"{resp.status_code}: {resp.text[:500]}")
                codes.append(resp.status_code)
            return codes

    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        list(pool.map(run, jobs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=20000)
    parser.add_argument("--fields", type=int, default=10)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="mc_push_bench")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument(
        "--pg",
        default=os.environ.get("MESH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database ($MESH_BENCH_PG)",
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    queue_name = f"bench-push-{os.getpid()}"

    var_dir = tempfile.mkdtemp(prefix="push-bench-")
    if args.sqlite:
        url = f"sqlite:///{var_dir}/catalog.sqlite3"
    else:
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{args.database}"')
        url = f"{args.pg}/{args.database}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MESH_VAR_DIR": var_dir,
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        # outbox processing queued on Redis (a deployment with workers), not in the request
        "CELERY_BROKER_URL": args.broker,
        "MESH_TASK_QUEUE": queue_name,
    }
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    code = (
        "from datetime import timedelta; from django.utils import timezone; "
        "from django.contrib.auth.models import User; from identity.models import ApiToken; "
        "print(ApiToken.issue(User.objects.create_user('bench'), 'bench', ['ingest'], "
        "timezone.now() + timedelta(days=1))[1])"
    )
    token = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    port = free_port()
    env = {**env, "SECRET_KEY": secrets.token_urlsafe(50)}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{port}", "--timeout", "600", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1/assets/bulk"
    per_client = args.assets // args.clients
    results: dict[str, list[float]] = {"create": [], "update": [], "complete": []}
    cpu: dict[str, list[float]] = {"create": [], "update": [], "complete": []}
    loads: dict[str, list[float]] = {"create": [], "update": [], "complete": []}
    db_cpu: dict[str, list[float]] = {"create": [], "update": [], "complete": []}
    db_pid = None if args.sqlite else postmaster_pid(url.replace("postgres://", "postgresql://"))
    try:
        for _ in range(100):  # wait up to 20 s for the server
            try:
                requests.get(f"http://127.0.0.1:{port}/api/v1/sources", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        for round_no in range(args.rounds):
            jobs = []
            for client in range(args.clients):
                data = items(f"r{round_no}c{client}", per_client, args.fields)
                bodies = [json.dumps(data[i : i + args.chunk])
                          for i in range(0, len(data), args.chunk)]  # fmt: skip
                jobs.append((f"bench-{round_no}-{client}", bodies))
            for phase in ("create", "update", "complete"):
                load = os.getloadavg()[0]
                db_before = cpu_seconds(db_pid) if db_pid else 0.0
                before = cpu_seconds(server.pid)
                started = time.perf_counter()
                push_all(base, token, jobs, complete=phase == "complete")
                seconds = time.perf_counter() - started
                results[phase].append(per_client * args.clients / seconds)
                cpu[phase].append(1000 * (cpu_seconds(server.pid) - before) / args.assets)
                loads[phase].append(round((load + os.getloadavg()[0]) / 2, 2))
                if db_pid:
                    db_cpu[phase].append(1000 * (cpu_seconds(db_pid) - db_before) / args.assets)
            print(
                f"round {round_no + 1}: "
                + ", ".join(
                    f"{k} {v[-1]:.0f} assets/s ({cpu[k][-1]:.2f} web CPU ms/asset"
                    + (f", PostgreSQL {db_cpu[k][-1]:.2f}" if db_pid else "")
                    + f", load {loads[k][-1]})"
                    for k, v in results.items()
                ),  # fmt: skip
                flush=True,
            )
        print(
            json.dumps(
                {
                    "assets_per_round": per_client * args.clients,
                    "fields_per_asset": args.fields,
                    "chunk": args.chunk,
                    "clients": args.clients,
                    "workers": args.workers,
                    "database": "sqlite" if args.sqlite else "postgresql",
                    "cores": os.cpu_count(),
                    "median_assets_per_s": {
                        k: round(statistics.median(v)) for k, v in results.items()
                    },  # fmt: skip
                    "all_assets_per_s": {k: [round(x) for x in v] for k, v in results.items()},
                    "load_1min": loads,
                    "db_cpu_ms_per_asset (whole PostgreSQL server)": {
                        k: [round(x, 3) for x in v] for k, v in db_cpu.items()
                    },
                    "server_cpu_ms_per_asset": {
                        k: [round(x, 3) for x in v] for k, v in cpu.items()
                    },  # fmt: skip
                },
                indent=2,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        try:
            import redis

            redis.Redis.from_url(args.broker).delete(queue_name)
        except Exception as exc:  # the purge is best effort
            print(f"could not delete the queue {queue_name}: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
