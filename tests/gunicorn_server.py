"""A catalog served by gunicorn for tests and tools that need a real HTTP server
(the concurrency tests, the schemathesis run): a staff token and the server itself."""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MANAGE = [sys.executable, "manage.py"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def staff_token(env: dict, username: str) -> str:
    """Create the staff user ``username`` in the catalog ``env`` points at and return a
    new API token key of theirs. Raises CalledProcessError when manage.py fails."""
    code = (
        "from django.contrib.auth.models import User; "
        "from rest_framework.authtoken.models import Token; "
        f"u = User.objects.create_user({username!r}, is_staff=True); "
        "print(Token.objects.create(user=u).key)"
    )
    done = subprocess.run(
        [*MANAGE, "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def start_gunicorn(env: dict, threads: int, ready_path: str) -> tuple[subprocess.Popen, str]:
    """Serve ``config.wsgi`` with 2 gthread workers on a free loopback port; returns
    ``(process, base URL)`` once ``ready_path`` answers (up to 60 s; the caller stops
    the process)."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "-w", "2", "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}{ready_path}", timeout=5).read()
            break
        time.sleep(0.5)
    return server, url
