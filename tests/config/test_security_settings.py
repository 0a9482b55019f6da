"""Issue 9, items 3 and 8: production settings, CSP, login throttling, offline pages.

* With ``DEBUG=false`` and no ``SECRET_KEY`` the WSGI application refuses to start and
  says how to set the key; ``manage.py check --deploy`` is clean with the documented
  production settings.
* Every page answers with a Content-Security-Policy its markup passes (no inline
  script, no event-handler attribute) and loads nothing from another site (the API docs
  included: Swagger UI comes from the sidecar package).
* Wrong passwords are throttled: 40 in a row do not all get 200.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "k" * 10 + "-production-secret-9f8e7d6c5b4a3210-zyxwvutsrqponm",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "catalog.example.com",
    "MESH_HTTPS": "true",
    "MESH_PROXY_SSL_HEADER": "true",
}


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    skip = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in skip}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wsgi_refuses_the_development_secret_key():
    proc = run_python(["-c", "import config.wsgi"], DEBUG="false")
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr and "export SECRET_KEY=" in proc.stderr
    ok = run_python(["-c", "import config.wsgi"], **PRODUCTION)
    assert ok.returncode == 0, ok.stderr


def test_check_deploy_is_clean_in_production_settings():
    proc = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = run_python(["manage.py", "check", "--deploy"], DEBUG="false")
    assert bad.returncode != 0 and "mesh.E001" in bad.stdout + bad.stderr


def test_production_settings_values():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)"
    )
    proc = run_python(
        [
            "-c",
            f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            f"'config.settings'); django.setup(); {code}",
        ],
        **PRODUCTION,
    )
    assert proc.stdout.split() == [
        "True",
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ], proc.stderr


class Refs(HTMLParser):
    """Collects script/link/img references, inline scripts and event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if name.startswith("on")]
        for name in ("src", "href"):
            if attrs.get(name) and (tag in ("script", "img", "iframe") or attrs.get("rel")):
                self.urls.append(attrs[name])
        if tag == "script" and not attrs.get("src"):
            kind = (attrs.get("type") or "text/javascript").lower()
            self._in_script = kind in ("text/javascript", "module", "application/javascript")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


PAGES = [
    "/",
    "/search?q=customers",
    "/sources/",
    "/products/",
    "/domains/",
    "/teams/",
    "/accounts/login/",
    "/api/docs/",
    "/admin/catalog/source/",
    "/admin/",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_pass_their_csp_and_load_nothing_from_the_internet(db, client, path):
    client.force_login(User.objects.create_superuser("csp", password="pw-csp-12345"))
    resp = client.get(path)
    assert resp.status_code == 200, path
    policy = resp["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    parser = Refs()
    parser.feed(resp.content.decode())
    assert parser.inline_scripts == 0, path
    assert parser.handlers == [], (path, parser.handlers)
    external = [u for u in parser.urls if re.match(r"^(https?:)?//", u)]
    assert external == [], (path, external)


def test_swagger_ui_assets_are_served_locally(db, client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    for src in scripts:
        assert client.get(src).status_code == 200, src
    for href in re.findall(r'<link[^>]+href="([^"]+)"', html):
        assert href.startswith("/"), href
        assert client.get(href).status_code == 200, href


def test_wrong_passwords_are_throttled(db, client):
    User.objects.create_user("ann", password="right-pw-123")
    codes = [
        client.post("/accounts/login/", {"username": "ann", "password": f"wrong-{i}"}).status_code
        for i in range(40)
    ]
    assert codes.count(200) <= 10 and codes[-1] == 429, codes
    locked = client.post("/accounts/login/", {"username": "ann", "password": "right-pw-123"})
    assert locked.status_code == 429  # locked out even with the right password


def test_quickstart_serves_with_a_local_random_key_not_the_development_one(tmp_path):
    from config.security import DEV_SECRET_KEY, local_secret_key

    key = local_secret_key(tmp_path)
    assert key != DEV_SECRET_KEY and len(key) >= 50
    assert local_secret_key(tmp_path) == key  # stable across restarts
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only
