"""Run the web catalog in a subprocess on the quickstart data, for the browser tests.

:func:`start_catalog_server` gives the server its own var folder (SQLite database, search
index, cache), runs ``manage.py migrate`` and ``manage.py quickstart --no-serve`` (which
harvests the sample sources from ``MESH_SAMPLES_DIR`` and creates the demo user
``admin``/``admin``), then serves with ``manage.py runserver`` on a free local port. A
real server process avoids sharing an in-memory SQLite database across threads and
lets "Harvest now" run in the server's own background thread exactly as in production.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Debian's Chromium and the flags it needs here (root, no GPU, no network chatter)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_USER = ("admin", "admin")


@dataclass
class CatalogServer:
    """A running catalog: ``base_url`` (no trailing slash), its ``var_dir`` and process."""

    base_url: str
    var_dir: Path
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(var_dir: Path, samples_dir: Path) -> dict[str, str]:
    """Environment of the server: SQLite in ``var_dir``, embedded tasks, no DEBUG."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "MESH_SEARCH_BACKEND",
            "MESH_GRAPH_BACKEND",
        }
    }
    env.update(
        {
            "MESH_VAR_DIR": str(var_dir),
            "MESH_SAMPLES_DIR": str(samples_dir),
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
            # the server refuses the development SECRET_KEY when DEBUG is off
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "browser-test-" + "k" * 50,
        }
    )
    return env


def start_catalog_server(
    var_dir: Path, samples_dir: Path, timeout: float = 180, extra_env: dict | None = None
) -> CatalogServer:
    """Prepare the quickstart data in ``var_dir`` and serve it; returns when the home page
    answers 200. Raises RuntimeError with the command output if a step fails or the
    server does not come up within ``timeout`` seconds. ``extra_env`` adds variables
    (e.g. provisioner settings) to the server's environment."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {**server_env(var_dir, samples_dir), **(extra_env or {})}
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "--noinput", "-v", "0"], ["quickstart", "--no-serve"]):
        done = subprocess.run(
            manage + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    (var_dir / "quickstart.log").write_text(done.stdout + done.stderr)
    port = free_port()
    log_path = var_dir / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        manage + ["runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = CatalogServer(f"http://127.0.0.1:{port}", var_dir, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(server.base_url + "/", timeout=5) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"server did not answer within {timeout} s: {log_path.read_text()}")
