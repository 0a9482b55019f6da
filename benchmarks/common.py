"""Shared plumbing of the benchmarks: generated inputs, a fresh database, a harvest.

Each measured run happens in its own process (``run_child``) so that its peak memory
(``ru_maxrss``) is its own and nothing is cached between runs.
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_WORKDIR = Path(os.environ.get("MESH_BENCH_DIR", "/tmp/mesh_bench"))


def ensure_target(models: int, workdir: Path, seed: int = 42) -> Path:
    """The generated dbt target folder for ``models`` models (written once, reused)."""
    out = workdir / f"dbt_{models}_seed{seed}"
    if not (out / "run_results.json").exists():
        # In a child process, so this process stays small (children inherit its peak).
        subprocess.run(
            [
                sys.executable,
                str(BENCH_DIR / "gen_dbt_manifest.py"),
                str(models),
                str(out),
                "--seed",
                str(seed),
            ],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
    return out


def fresh_database(database_url: str | None, workdir: Path, keep: bool = False) -> str:
    """Point Django at an empty, migrated database and return its URL.

    The search index and file cache go to ``<workdir>/var`` (emptied first). Without
    ``database_url``: a new SQLite file ``<workdir>/bench.sqlite3``. With a
    PostgreSQL URL: that database is dropped and re-created, so its name must contain
    ``bench`` (a guard against wiping a real catalog). ``keep=True`` reuses the database
    (and search index) as the last run left them. Must be called before Django is set
    up in this process.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    var = workdir / "var"  # search index file, file cache: never the developer's own
    if not keep:
        shutil.rmtree(var, ignore_errors=True)
    var.mkdir(exist_ok=True)
    os.environ["MESH_VAR_DIR"] = str(var)
    if not database_url:
        path = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            if not keep:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    else:
        parts = urlsplit(database_url)
        name = parts.path.lstrip("/")
        if "bench" not in name:
            raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
        import psycopg

        admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not keep or not exists:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return database_url


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Read from ``VmHWM`` in ``/proc/self/status`` (reset by exec, unlike ``ru_maxrss``
    which a child inherits from its parent); ``ru_maxrss`` where /proc is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def harvest_dbt(target: Path, name: str = "bench-dbt"):
    """Create a ``dbt`` source for ``target`` and harvest it; returns the HarvestRun."""
    from catalog.models import Source
    from harvesters.runner import run_harvest

    source, _ = Source.objects.update_or_create(
        name=name, defaults={"kind": "dbt", "config": {"target_dir": str(target)}}
    )
    return run_harvest(source)


def run_child(script: Path, args: list[str], timeout: float | None = None) -> dict:
    """Run ``script --child args...`` in a new interpreter; returns the JSON it prints
    on its last stdout line. Raises RuntimeError with its stderr if it fails, and
    ``subprocess.TimeoutExpired`` (the child killed) after ``timeout`` seconds."""
    proc = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script.name} child failed:\n{proc.stderr[-3000:]}")
    if proc.stderr.strip():
        print(proc.stderr.strip()[-2000:], file=sys.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def machine() -> str:
    """A one-line description of this machine: CPUs and Python version."""
    return f"{len(os.sched_getaffinity(0))} CPUs, Python {sys.version.split()[0]}"
