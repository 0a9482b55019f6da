"""A real OpenID Connect provider and a catalog server signed on to it, for the SSO tests.

:func:`start_provider` runs ``services/oidc/provider.mjs`` (panva/oidc-provider, installed by
``services/oidc/build.sh`` with ``npm ci``) with Node on a free loopback port; it raises
RuntimeError (the test fails, never skips) when Node, the package or the port is missing.
:func:`start_sso_catalog` runs the catalog (``manage.py runserver``, own SQLite database)
with ``MESH_OIDC_*`` pointing at that provider.
"""

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.browser_server import ROOT, CatalogServer, server_env

OIDC_DIR = ROOT / "services" / "oidc"
CLIENT_ID, CLIENT_SECRET = "mesh-catalog", "test-only-client-secret"


def start_provider(users: dict, redirect_uri: str, post_logout_uri: str, work: Path):
    """Start the provider; returns ``(process, issuer)``. ``users``: ``{username:
    {password, email, given_name, family_name, groups}}``."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (apt-get install -y nodejs)")
    build = subprocess.run(
        [str(OIDC_DIR / "build.sh")], capture_output=True, text=True, timeout=300
    )
    if build.returncode != 0:
        raise RuntimeError(f"services/oidc/build.sh failed:\n{build.stdout}\n{build.stderr}")
    users_file = work / "users.json"
    users_file.write_text(json.dumps(users))
    log_path = work / "provider.log"
    process = subprocess.Popen(
        [node, str(OIDC_DIR / "provider.mjs"), "--port", "0", "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET, "--redirect-uri", redirect_uri,
         "--post-logout-uri", post_logout_uri, "--users", str(users_file)],
        cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=log_path.open("w"), text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("OIDC_PROVIDER_READY "):
            return process, line.split()[1]
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"the OIDC provider did not start: {log_path.read_text()}")


def start_sso_catalog(var_dir: Path, port: int, issuer: str, extra_env: dict) -> CatalogServer:
    """Migrate a fresh database, run ``setup`` shell code, serve on ``port`` signed on to
    ``issuer``; returns when the sign-in page answers. RuntimeError on failure."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(var_dir, var_dir)
    env.update(
        {
            "MESH_OIDC_ISSUER": issuer,
            "MESH_OIDC_CLIENT_ID": CLIENT_ID,
            "MESH_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "MESH_OIDC_SCOPES": "openid email profile groups",
            "MESH_OIDC_LABEL": "Test IdP",
            **extra_env,
        }
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    setup = (
        "from products.models import Team; Team.objects.create(slug='sales-eng', name='Sales Eng')"
    )
    for args in (["migrate", "--noinput", "-v", "0"], ["shell", "-c", setup]):
        done = subprocess.run(manage + args, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    log_path = var_dir / "server.log"
    process = subprocess.Popen(
        manage + ["runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = CatalogServer(f"http://127.0.0.1:{port}", var_dir, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"catalog server exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(server.base_url + "/accounts/login/", timeout=5):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"catalog server did not answer: {log_path.read_text()}")
