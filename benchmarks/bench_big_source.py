"""Benchmark: the ``sql`` harvest of a big generated database (issue 17, item 7).

Generates (once, cached) a source database of ``--tables`` tables of ``--columns``
columns each (integer, bigint, double precision, date, timestamp, boolean... no text, so
PostgreSQL makes no TOAST table per table), the first ``--tables // 100`` holding a few
rows, plus ``--tables // 1000`` views over them; then, in a fresh process on a freshly
migrated catalog, times ``run_harvest`` of it with row counts on (the default), and
reports wall seconds, tables/s, peak resident memory of the harvest process and the
number of batch commits. The source is SQLite (``<workdir>/big_<n>x<c>.sqlite3``) or
PostgreSQL (``--source-pg``: database ``bench_src_<n>x<c>`` on the server of
``MESH_TEST_PG``); the catalog is SQLite or the PostgreSQL ``--database-url``.

Usage::

    .venv/bin/python benchmarks/bench_big_source.py --tables 5000          # SQLite source
    .venv/bin/python benchmarks/bench_big_source.py --tables 5000 --source-pg \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench_big       # both PostgreSQL
    .venv/bin/python benchmarks/bench_big_source.py --tables 100000 --columns 10  # the goal

The catalog database named in ``--database-url`` is dropped and re-created for every
run, so its name must contain ``bench``; the generated source databases are kept (drop
``bench_src_*`` yourself).
"""

import argparse
import json
import os
import resource
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database, machine, median, peak_mb, run_child  # noqa: E402

PG_SERVER = os.environ.get("MESH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
TYPES = ("integer", "bigint", "double precision", "date", "timestamp", "boolean", "smallint",
         "numeric(12,2)", "real", "integer")  # fmt: skip


def _table_sql(n: int, columns: int) -> str:
    cols = ", ".join(
        f"c{j} {TYPES[j % len(TYPES)]}" + (" PRIMARY KEY" if j == 0 else "") for j in range(columns)
    )
    return f"CREATE TABLE t{n:06} ({cols})"


def ensure_sqlite_source(tables: int, columns: int, workdir: Path, reuse: bool) -> str:
    """The generated SQLite source; returns its SQLAlchemy URL. ``reuse``: keep a file
    built by an earlier run.

    SQLite re-reads ``sqlite_master`` (a full scan: it has no index on ``tbl_name``) after
    every ``CREATE TABLE``, so creating N tables one by one is quadratic (8,000 tables:
    4 s; 100,000: ~11 min). The tables are therefore written straight into the schema:
    their ``sqlite_master`` rows in one insert (``PRAGMA writable_schema``), then one empty
    b-tree leaf page per table appended to the file (the on-disk format of an empty table,
    https://www.sqlite.org/fileformat2.html#b_tree_pages) and the header's page count and
    schema cookie updated. ``PRAGMA integrity_check`` of the result is "ok" (checked by
    the benchmark at up to 20,000 tables: ``--check``); rows and views are then added
    through plain SQL.
    """
    path = workdir / f"big_{tables}x{columns}.sqlite3"
    if path.exists() and reuse:
        return f"sqlite:///{path}"
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("CREATE TABLE bench_ready (done boolean)")  # formats the file
    conn.execute("PRAGMA writable_schema = ON")
    placeholder = 8_000_000  # a 3-byte integer: the real root pages are never longer
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
        "VALUES ('table', ?, ?, ?, ?)",
        ((f"t{n:06}", f"t{n:06}", placeholder, _table_sql(n, columns)) for n in range(tables)),
    )
    conn.execute("COMMIT")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute("BEGIN")  # table n gets the page after the file's end + n
    conn.execute(
        "UPDATE sqlite_master SET rootpage = ? + CAST(substr(name, 2) AS INTEGER) "
        "WHERE rootpage = ?",
        (pages + 1, placeholder),
    )
    conn.execute("COMMIT")
    if conn.execute("PRAGMA page_count").fetchone()[0] != pages:
        raise SystemExit("the schema update grew the file: cannot place the root pages")
    conn.close()
    empty = bytearray(4096)  # an empty table b-tree leaf page
    empty[0] = 0x0D  # leaf table page
    empty[5:7] = (4096).to_bytes(2, "big")  # cell content starts at the page's end
    with open(tmp, "r+b") as f:
        head = bytearray(f.read(100))
        f.seek(0, 2)
        if f.tell() != pages * 4096:
            raise SystemExit("unexpected file size")
        for start in range(0, tables, 10_000):
            f.write(bytes(empty) * min(10_000, tables - start))
        head[28:32] = (pages + tables).to_bytes(4, "big")  # database size in pages
        cookie = int.from_bytes(head[40:44], "big") + 1  # schema cookie: re-read the schema
        head[40:44] = cookie.to_bytes(4, "big")
        f.seek(0)
        f.write(head)
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    for sql in _rows_and_views(tables):
        conn.execute(sql)
    conn.execute("COMMIT")
    if tables <= 20_000:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            raise SystemExit(f"generated SQLite source is damaged: {check[:5]}")
    conn.close()
    tmp.rename(path)
    return f"sqlite:///{path}"


def _rows_and_views(tables: int):
    for n in range(max(1, tables // 100)):
        yield f"INSERT INTO t{n:06} (c0) VALUES (1), (2), (3)"
    for v in range(max(1, tables // 1000)):
        yield f"CREATE VIEW v{v:04} AS SELECT c0, c1 FROM t{v:06} WHERE c0 > 1"


PG_BUILD_CHUNK = 1000  # tables per transaction (a DO block): locks stay under the limit


def ensure_pg_source(tables: int, columns: int, reuse: bool) -> str:
    """The generated PostgreSQL source database (``bench_src_<n>x<c>``); returns its
    SQLAlchemy URL. ``reuse``: keep one completed by an earlier run (it ends with a
    ``bench_ready`` table). Tables are created server-side, 1,000 per ``DO`` block (one
    transaction each: a lock per table and index, well under ``max_locks_per_transaction``
    x connections), no round trip per table."""
    import psycopg

    name = f"bench_src_{tables}x{columns}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        done = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if done and reuse:
            with psycopg.connect(f"{PG_SERVER}/{name}") as conn:
                ready = conn.execute("SELECT to_regclass('public.bench_ready')").fetchone()[0]
            if ready:
                return _sa_url(name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    cols = ", ".join(
        f"c{j} {TYPES[j % len(TYPES)]}" + (" PRIMARY KEY" if j == 0 else "") for j in range(columns)
    ).replace("%", "%%")
    with psycopg.connect(f"{PG_SERVER}/{name}", autocommit=True) as conn:
        for start in range(0, tables, PG_BUILD_CHUNK):
            end = min(tables, start + PG_BUILD_CHUNK) - 1
            conn.execute(
                f"DO $$ BEGIN FOR i IN {start}..{end} LOOP "
                f"EXECUTE format('CREATE TABLE %I ({cols})', 't' || lpad(i::text, 6, '0')); "
                "END LOOP; END $$"
            )
        with conn.transaction():
            for sql in _rows_and_views(tables):
                conn.execute(sql)
        conn.execute("CREATE TABLE bench_ready (done boolean)")  # one more table: marks done
    return _sa_url(name)


def _sa_url(name: str) -> str:
    return PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def child(args: argparse.Namespace) -> None:
    """One measured harvest in this process; prints a JSON line with the figures."""
    fresh_database(args.database_url, Path(args.workdir))
    from django.conf import settings

    from catalog.models import Source
    from harvesters.runner import run_harvest

    source = Source.objects.create(name="big", kind="sql", config={"url": args.source_url})
    commits = [0]
    from harvesters import runner

    original = runner._Batches.save_checkpoint

    def counted(self, report):
        commits[0] += 1
        return original(self, report)

    runner._Batches.save_checkpoint = counted
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:  # peak RSS over time, every 2 s
        while not stop.wait(2):
            samples.append((round(time.perf_counter() - started, 1), round(peak_mb())))

    import catalog.outbox

    outbox_seconds = [0.0]
    process_outbox = catalog.outbox.process_outbox

    def timed_outbox(*a, **kw):  # the search/graph projections run on commit (embedded)
        began = time.perf_counter()
        try:
            return process_outbox(*a, **kw)
        finally:
            outbox_seconds[0] += time.perf_counter() - began

    catalog.outbox.process_outbox = timed_outbox
    import governance.classification

    classify_seconds = [0.0]
    detect = governance.classification.detect

    def timed_detect(*a, **kw):  # classification of the run's datasets, after it ended
        began = time.perf_counter()
        try:
            return detect(*a, **kw)
        finally:
            classify_seconds[0] += time.perf_counter() - began

    governance.classification.detect = timed_detect
    import gc

    gc_seconds, gc_began = [0.0], [0.0]

    def gc_timer(phase: str, info: dict) -> None:  # time in Python's cyclic collector
        if phase == "start":
            gc_began[0] = time.perf_counter()
        else:
            gc_seconds[0] += time.perf_counter() - gc_began[0]

    gc.callbacks.append(gc_timer)
    base = peak_mb()
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu_started = own.ru_utime + own.ru_stime
    started = time.perf_counter()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        run = profiler.runcall(run_harvest, source)
        profiler.dump_stats(args.profile)
    else:
        run = run_harvest(source)
    seconds = time.perf_counter() - started
    stop.set()
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu = own.ru_utime + own.ru_stime - cpu_started
    tables = run.counts.get("datasets", 0)
    print(
        json.dumps(
            {
                "status": run.status,
                "seconds": seconds,
                "tables_per_s": tables / seconds if seconds else 0,
                "cpu_seconds": cpu,
                "outbox_seconds": outbox_seconds[0],
                "gc_seconds": gc_seconds[0],
                "classify_seconds": classify_seconds[0],
                "base_mb": base,
                "peak_mb": peak_mb(),
                "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "commits": commits[0],
                "commit_every": settings.MESH_HARVEST_COMMIT_EVERY,
                "load": os.getloadavg()[0],
                "counts": run.counts,
                "errors": run.errors[:3],
                "warnings": len(run.warnings),
                "rss_samples": samples[-10:],
            }
        )
    )


def main() -> None:
    """Generate the source, run the harvest ``--runs`` times, print a Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark the sql harvest of a big source.")
    parser.add_argument("--tables", type=int, default=5000)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--source-pg", action="store_true", help="a PostgreSQL source")
    parser.add_argument("--database-url", help="PostgreSQL catalog (db name must contain 'bench')")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    parser.add_argument(
        "--reuse-source", action="store_true", help="reuse the source built by an earlier run"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a harvest run is stopped"
    )
    parser.add_argument("--profile", help="write a cProfile of the harvest to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.source_pg:
        url = ensure_pg_source(args.tables, args.columns, args.reuse_source)
    else:
        url = ensure_sqlite_source(args.tables, args.columns, workdir, args.reuse_source)
    print(f"source ready in {time.perf_counter() - started:.0f} s: {url}", file=sys.stderr)
    results = []
    for i in range(args.runs):
        child_args = ["--source-url", url, "--workdir", str(workdir)]
        if args.database_url:
            child_args += ["--database-url", args.database_url]
        if args.profile:
            child_args += ["--profile", args.profile]
        result = run_child(Path(__file__), child_args, timeout=args.timeout)
        print(f"  run {i + 1}/{args.runs}: {json.dumps(result)}", file=sys.stderr)
        results.append(result)
    r = results[0]
    print(f"\nBig source harvest ({machine()})\n")
    print("| source | catalog | tables x columns | runs | status | median s (of which outbox) | "
          "CPU s | tables/s | peak MB (base) | commits | load |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {'postgresql' if args.source_pg else 'sqlite'} | "
        f"{'postgresql' if args.database_url else 'sqlite'} | {args.tables} x {args.columns} | "
        f"{args.runs} | {r['status']} | {median([x['seconds'] for x in results]):.1f} "
        f"({median([x['outbox_seconds'] for x in results]):.1f}) | "
        f"{median([x['cpu_seconds'] for x in results]):.1f} | "
        f"{median([x['tables_per_s'] for x in results]):.0f} | "
        f"{max(x['peak_mb'] for x in results):.0f} ({r['base_mb']:.0f}) | {r['commits']} | "
        f"{max(x['load'] for x in results):.1f} |"
    )


if __name__ == "__main__":
    main()
