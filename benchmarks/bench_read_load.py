"""Read load on a served catalog: requests per second and latency percentiles.

Builds the quickstart catalog (the samples) in ``--workdir``, serves it with gunicorn
(``--workers`` processes × ``--threads`` threads, on loopback), then drives a read mix
for ``--seconds`` over ``--clients`` concurrent keep-alive connections: the search API,
asset detail API, lineage at depth 3 and the HTML search page, in equal shares, all
anonymous.

The load generator is ``wrk`` by default (``apt-get install -y wrk``; a generated Lua
script requests the mix's URLs in turn, ``--latency``): it costs about 0.06 ms of CPU per
request against ~1.8 ms for the Python client, which matters when it shares the server's
cores. wrk sees one latency distribution, so after the mix each kind is driven alone for
``--per-kind`` seconds (default 10; 0 skips) for per-kind rows. ``--client python`` uses
threads of this process instead (one ``requests`` session each, per-kind latencies of
the mix itself).

Prints the setup (load average before and during the run, the server's CPU time per
request: gunicorn workers' user + system time over the requests served, which the
machine's other load inflates far less than latency; the load generator's) and one row
per kind and the total: requests, requests/s, p50/p95/p99 latency in ms, server CPU ms
per request, errors; writes them as JSON to ``<workdir>/read_load.json``.

Example (issue 9 setup: 50 clients, 60 s, 2 workers)::

    .venv/bin/python benchmarks/bench_read_load.py --clients 50 --seconds 60 --workers 2 --threads 4
    .venv/bin/python benchmarks/bench_read_load.py --client python      # Python threads
    .venv/bin/python benchmarks/bench_read_load.py --database-url postgres://postgres@127.0.0.1:5432/mesh_bench_read

With ``--database-url`` the database is dropped and re-created, so its name must contain
``bench``. Bounded: ``--seconds`` (at most 300), ``--clients`` (at most 200),
``--per-kind`` (at most 60).
"""

import argparse
import itertools
import json
import os
import resource
import secrets
import shutil
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


WRK_SCRIPT = """-- generated by benchmarks/bench_read_load.py: the read mix, in the Python client's order
local paths = {%(paths)s}
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7)
  threads = threads + 1
end
function init(args)
  n = offset or 0
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, \\"p95_us\\": %%d, "
      .. "\\"p99_us\\": %%d, \\"mean_us\\": %%.1f, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) of this process's finished, reaped children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    base: str, paths: list[str], clients: int, seconds: float, threads: int, script: Path
) -> dict:
    """Drive ``paths`` (in turn, each wrk thread from its own offset) with ``wrk``:
    ``clients`` keep-alive connections for ``seconds``. Returns requests, wall seconds,
    p50/p95/p99/mean latency (ms, over every request), errors (connect, read, write,
    timeouts and non-2xx/3xx answers) and wrk's CPU seconds."""
    body = ", ".join(json.dumps(p) for p in paths)  # a JSON string is a Lua string here
    script.write_text(WRK_SCRIPT % {"paths": body})
    before = children_cpu_seconds()
    done = subprocess.run(
        [
            "wrk",
            f"-t{min(threads, clients)}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return {
        "requests": raw["requests"],
        "wall": raw["duration_us"] / 1e6,
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "errors": raw["errors"],
        "client_cpu": children_cpu_seconds() - before,
    }


def run_python(kinds: dict, clients: int, seconds: float) -> tuple[dict, dict, float, float]:
    """The Python load generator: ``clients`` threads of this process, each with its own
    ``requests`` session, request the kinds in turn for ``seconds``. Returns latencies (ms)
    and errors per kind, wall seconds and this process's CPU seconds."""
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
    client_before = time.process_time()
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - began, time.process_time() - client_before


def row(kind: str, requests_: int, wall: float, server_cpu: float, **figures) -> dict:
    """One result row: ``figures`` are p50_ms, p95_ms, p99_ms, mean_ms, errors."""
    return {
        "kind": kind,
        "requests": requests_,
        "rps": round(requests_ / wall, 1) if wall else 0,
        **{k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()},
        "server_cpu_ms": round(1000 * server_cpu / max(1, requests_), 2),
    }


def python_rows(latencies: dict, errors: dict, wall: float, server_cpu: float) -> list[dict]:
    """Rows per kind and in total from the Python client's latencies (server CPU is only
    known for the whole mix, so it is given on the total row)."""
    rows = []
    everything = [v for values in latencies.values() for v in values]
    for name, values in [*latencies.items(), ("total", everything)]:
        rows.append(
            row(
                name,
                len(values),
                wall,
                server_cpu if name == "total" else 0.0,
                p50_ms=percentile(values, 0.5),
                p95_ms=percentile(values, 0.95),
                p99_ms=percentile(values, 0.99),
                mean_ms=statistics.fmean(values) if values else 0.0,
                errors=sum(errors.values()) if name == "total" else errors[name],
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk",
        help="load generator: wrk (default, C, cheap) or the Python threads (per-kind figures)",
    )
    parser.add_argument(
        "--per-kind",
        type=float,
        default=10,
        help="with wrk: after the mix, drive each kind alone for this many seconds (0: no)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--workdir", type=Path, default=Path(os.environ.get("MESH_BENCH_DIR", "/tmp/mesh_bench"))
    )
    args = parser.parse_args()
    clients, seconds = min(args.clients, 200), min(args.seconds, 300)
    per_kind = min(max(args.per_kind, 0), 60)
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (or --client python)")
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
    names = list(kinds)
    cycle = len(names) * len(QUERIES) * len(URNS)  # the mix repeats after this many
    load_before = round(os.getloadavg()[0], 1)
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
        cpu_before = server_cpu_seconds(server.pid)
        if args.client == "python":
            latencies, errors, wall, client_cpu = run_python(kinds, clients, seconds)
            server_cpu = server_cpu_seconds(server.pid) - cpu_before
            rows = python_rows(latencies, errors, wall, server_cpu)
            served = rows[-1]["requests"]
        else:
            mix = [kinds[names[n % len(names)]](n).removeprefix(base) for n in range(cycle)]
            result = run_wrk(base, mix, clients, seconds, args.wrk_threads, workdir / "mix.lua")
            server_cpu = server_cpu_seconds(server.pid) - cpu_before
            client_cpu, served = result.pop("client_cpu"), result["requests"]
            rows = [row("total", result.pop("requests"), result.pop("wall"), server_cpu, **result)]
            load_mix = round(os.getloadavg()[0], 1)
            for name in names if per_kind else []:
                paths = [kinds[name](n).removeprefix(base) for n in range(cycle)]
                before = server_cpu_seconds(server.pid)
                alone = run_wrk(base, paths, clients, per_kind, args.wrk_threads, workdir / "k.lua")
                alone.pop("client_cpu")
                cpu = server_cpu_seconds(server.pid) - before
                rows.insert(
                    -1, row(f"{name} alone", alone.pop("requests"), alone.pop("wall"), cpu, **alone)
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    setup = {
        "client": args.client,
        "clients": clients,
        "seconds": seconds,
        "workers": args.workers,
        "threads": args.threads,
        "database": "postgresql" if args.database_url else "sqlite",
        "version_seconds": float(os.environ.get("MESH_HOT_CACHE_VERSION_SECONDS", "0")),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average": load_mix if args.client == "wrk" else round(os.getloadavg()[0], 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, served), 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, served), 2),
    }
    print(" ".join(f"{k}={v}" for k, v in setup.items()))
    print("| kind | requests | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['kind']} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['p99_ms']} | {r['server_cpu_ms'] or '—'} | {r['errors']} |"
        )
    (workdir / "read_load.json").write_text(json.dumps({"setup": setup, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
