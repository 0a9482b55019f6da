"""A throwaway PostgreSQL cluster for tests that need server settings the shared server
must not change (here: ``log_destination = 'csvlog'``).

``throwaway_cluster(**settings)`` runs ``initdb`` in a new folder under /tmp, starts the
server with ``pg_ctl`` on a free loopback port (trust authentication, Unix socket in the
folder) and yields ``(url without database, folder)``; it stops the server and removes
the folder afterwards. As root, the binaries run as the ``postgres`` user (PostgreSQL
refuses root). Fails with a clear message when the binaries are missing.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.browser_server import free_port

BIN = Path(os.environ.get("MESH_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run(prefix + args, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed: {done.stderr or done.stdout}"
    return done


@contextlib.contextmanager
def throwaway_cluster(**settings: str):
    """Yield ``(postgresql://postgres@127.0.0.1:<port>, folder)`` of a new cluster
    started with ``settings`` (``-c name=value`` each)."""
    assert (BIN / "pg_ctl").exists(), f"{BIN}/pg_ctl missing: apt-get install postgresql-15"
    folder = Path(tempfile.mkdtemp(prefix="mesh-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = free_port()
    _run([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
          "--locale=C.UTF-8"])  # fmt: skip
    options = [
        f"-p {port}",
        "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={folder}",
    ]
    options += [f"-c {name}={value}" for name, value in settings.items()]
    _run([str(BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
          "-o", " ".join(options), "start"])  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}", folder
    finally:
        _run([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)
