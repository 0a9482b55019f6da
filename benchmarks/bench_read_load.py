"""Read load on a served catalog: requests per second and latency percentiles.

Builds the quickstart catalog (the samples) in ``--workdir``, serves it with gunicorn
(``--workers`` processes × ``--threads`` threads, on loopback), then ``--clients``
concurrent clients (threads of this process, each with its own HTTP session) request a
read mix for ``--seconds``: the search API, asset detail API, lineage at depth 3 and the
HTML search page, in equal shares. Prints one row per request kind and the total:
requests, requests/s, p50/p95/p99 latency in ms, errors, and the server's CPU time per
request (gunicorn workers' user + system time over the requests served: what a request
costs the server, however busy the machine is) and the load generator's; writes them as JSON to
``<workdir>/read_load.json``.

Example (issue 9 setup: 50 clients, 60 s, 2 workers)::

    .venv/bin/python benchmarks/bench_read_load.py --clients 50 --seconds 60 --workers 2
    .venv/bin/python benchmarks/bench_read_load.py --threads 4      # gthread workers
    .venv/bin/python benchmarks/bench_read_load.py --database-url postgres://postgres@127.0.0.1:5432/mesh_bench_read

With ``--database-url`` the database is dropped and re-created, so its name must contain
``bench``. Bounded: ``--seconds`` (at most 300) and ``--clients`` (at most 200).
"""

import argparse
import itertools
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUERIES = ["customers", "orders", "invoice", "track", "payments", "album", "custmer", "status"]
URNS = [
    "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main.customers",
    "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main.orders",
    "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main.stg_payments",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile of ``values`` (nearest rank), 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def server_cpu_seconds(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of ``master``
    (Linux ``/proc``; 0 elsewhere). Divided by the requests served, it is the server's cost
    per request, which the machine's other load does not inflate the way it does latency."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def prepare(workdir: Path, database_url: str | None) -> dict:
    """Environment of a fresh quickstart catalog under ``workdir``."""
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "CELERY_BROKER_URL"}}
    env.update(
        MESH_VAR_DIR=str(workdir / "var"),
        MESH_SAMPLE_LAKE_DIR=str(workdir / "lake"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
    )
    if database_url:
        if "bench" not in database_url.rsplit("/", 1)[-1]:
            raise SystemExit("--database-url: the database name must contain 'bench'")
        import psycopg

        server, name = database_url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
        for f in (workdir / "var").glob("catalog.sqlite3*"):
            f.unlink()
    subprocess.run(
        [sys.executable, "manage.py", "quickstart", "--no-serve"],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=900,
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--workdir", type=Path, default=Path(os.environ.get("MESH_BENCH_DIR", "/tmp/mesh_bench"))
    )
    args = parser.parse_args()
    clients, seconds = min(args.clients, 200), min(args.seconds, 300)
    workdir = args.workdir / "read_load"
    workdir.mkdir(parents=True, exist_ok=True)
    env = prepare(workdir, args.database_url)
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    kinds = {
        "search_api": lambda i: f"{base}/api/v1/search?q={QUERIES[i % len(QUERIES)]}",
        "asset_api": lambda i: f"{base}/api/v1/assets/{URNS[i % len(URNS)]}",
        "lineage_d3": lambda i: (
            f"{base}/api/v1/lineage?urn={URNS[i % len(URNS)]}&direction=both&depth=3"
        ),
        "search_html": lambda i: f"{base}/search?q={QUERIES[i % len(QUERIES)]}",
    }
    try:
        for _ in range(240):
            try:
                requests.get(f"{base}/api/v1/sources", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.5)
        for kind in kinds.values():  # warm every worker a little
            for i in range(args.workers * 2):
                requests.get(kind(i), timeout=30)
        latencies: dict[str, list[float]] = {k: [] for k in kinds}
        errors: dict[str, int] = dict.fromkeys(kinds, 0)
        lock = threading.Lock()
        counter = itertools.count()
        stop_at = time.monotonic() + seconds

        def client() -> None:
            session = requests.Session()
            names = list(kinds)
            while time.monotonic() < stop_at:
                n = next(counter)
                name = names[n % len(names)]
                started = time.perf_counter()
                try:
                    ok = session.get(kinds[name](n), timeout=60).status_code == 200
                except requests.RequestException:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies[name].append(elapsed)
                    if not ok:
                        errors[name] += 1

        threads = [threading.Thread(target=client) for _ in range(clients)]
        cpu_before = server_cpu_seconds(server.pid)
        client_before = time.process_time()
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - began
        server_cpu = server_cpu_seconds(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = []
    everything = [v for values in latencies.values() for v in values]
    for name, values in [*latencies.items(), ("total", everything)]:
        rows.append(
            {
                "kind": name,
                "requests": len(values),
                "rps": round(len(values) / wall, 1),
                "p50_ms": round(percentile(values, 0.5), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
                "mean_ms": round(statistics.fmean(values), 1) if values else 0,
                "errors": sum(errors.values()) if name == "total" else errors[name],
            }
        )
    setup = {
        "clients": clients,
        "seconds": seconds,
        "workers": args.workers,
        "threads": args.threads,
        "database": "postgresql" if args.database_url else "sqlite",
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(everything)), 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, len(everything)), 2),
    }
    print(" ".join(f"{k}={v}" for k, v in setup.items()))
    print("| kind | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['kind']} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['p99_ms']} | {r['errors']} |"
        )
    (workdir / "read_load.json").write_text(json.dumps({"setup": setup, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
