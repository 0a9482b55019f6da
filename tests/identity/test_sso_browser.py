"""Single sign-on (issue 10, item 1) in Chromium against a real OpenID Connect provider
(panva/oidc-provider in Node, on a free loopback port): sign in through the provider's
own pages, the user is created with the claims, the groups claim makes them an owner of
their team and an auditor; RP-initiated logout ends the provider session; a wrong
password at the provider signs nobody in; password sign-in can be switched off."""

import os
import subprocess
import sys

import pytest

from tests.browser_server import free_port
from tests.catalog.test_browser import ARTIFACTS, TIMEOUT_MS
from tests.identity.oidc_servers import start_provider, start_sso_catalog

# also run by the PostgreSQL pass of `make test` (-m "not browser or sso"): the catalog
# server then keeps its data in a PostgreSQL database of its own
pytestmark = [pytest.mark.browser, pytest.mark.sso]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
USERS = {
    "alice": {
        "password": "wonderland",
        "email": "alice@example.com",
        "given_name": "Alice",
        "family_name": "Liddell",
        "groups": ["team:sales-eng:owner", "/catalog-auditors", "unrelated"],
    }
}


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    """The provider and a catalog signed on to it (password sign-in switched off)."""
    work = tmp_path_factory.mktemp("sso")
    database = server_database()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider, issuer = start_provider(USERS, f"{base}/oidc/callback/", f"{base}/", work)
    try:
        catalog = start_sso_catalog(
            work / "var",
            port,
            issuer,
            {
                "MESH_OIDC_ROLE_GROUPS": "auditor=catalog-auditors,admin=catalog-admins",
                "MESH_PASSWORD_LOGIN": "false",
                "LOG_LEVEL": "INFO",
                **database,
            },
        )
    except BaseException:
        provider.kill()
        drop_server_database(database)
        raise
    yield {"catalog": catalog, "issuer": issuer, "work": work, "env": database}
    catalog.stop()
    provider.terminate()
    provider.wait(timeout=10)
    drop_server_database(database)


def server_database() -> dict[str, str]:
    """``{"DATABASE_URL": ...}`` of a fresh PostgreSQL database for the catalog server when
    the suite runs on PostgreSQL (``DATABASE_URL``), else ``{}`` (SQLite in its folder)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return {}
    import uuid

    import psycopg

    name = f"mesh_sso_{uuid.uuid4().hex[:8]}"
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return {"DATABASE_URL": f"{server}/{name}"}


def drop_server_database(database: dict[str, str]) -> None:
    """Drop the database :func:`server_database` made (nothing for SQLite)."""
    if not database:
        return
    import psycopg

    server, name = database["DATABASE_URL"].rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def page(browser, sso):
    context = browser.new_context(base_url=sso["catalog"].base_url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def manage_shell(sso, code: str) -> str:
    """Run ``code`` in ``manage.py shell`` against the SSO catalog's database."""
    from tests.browser_server import ROOT, server_env

    env = {**server_env(sso["catalog"].var_dir, sso["catalog"].var_dir), **sso["env"]}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def provider_login(page, username: str, password: str) -> None:
    """Fill the provider's own sign-in and consent pages."""
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sign_in_with_the_provider_creates_the_user_with_roles(page, sso):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/accounts/login/?next=/teams/")
    assert page.locator("#id_password").count() == 0  # password sign-in switched off
    page.click("#sso-login")
    page.wait_for_url(f"{sso['issuer']}/**")
    provider_login(page, "alice", "wonderland")
    if page.locator("button[type=submit]").count() and sso["issuer"] in page.url:
        page.click("button[type=submit]")  # the provider's consent page
    page.wait_for_url(f"{sso['catalog'].base_url}/teams/")
    page.screenshot(path=str(ARTIFACTS / "sso-signed-in.png"))
    assert "alice" in page.locator(".team, main").first.inner_text() or "alice" in page.content()
    page.goto("/accounts/profile/")
    roles = page.locator("#roles").inner_text()
    assert "auditor" in roles and "owner" in roles and "viewer" in roles
    state = manage_shell(
        sso,
        "from django.contrib.auth.models import User; u = User.objects.get(username='alice'); "
        "m = u.team_memberships.get(); "
        "print(u.email, u.first_name, u.last_name, u.has_usable_password(), m.team.slug, m.role)",
    )
    assert state == "alice@example.com Alice Liddell False sales-eng owner"
    log = (sso["catalog"].var_dir / "server.log").read_text()
    assert "security login actor=alice" in log and "security role_changed" in log

    # RP-initiated logout: signed out here and at the provider
    page.click("text=Sign out")
    page.wait_for_url(f"{sso['issuer']}/**")  # the provider's end-session page
    page.screenshot(path=str(ARTIFACTS / "sso-end-session.png"))
    page.click("button[name=logout][value=yes]")
    page.wait_for_url(f"{sso['catalog'].base_url}/")
    page.goto("/accounts/profile/")
    assert "/accounts/login/" in page.url
    page.click("#sso-login")
    page.wait_for_url(f"{sso['issuer']}/**")
    assert page.locator("input[name=password]").count() == 1  # the provider asks again


def test_a_wrong_password_at_the_provider_signs_nobody_in(page, sso):
    page.goto("/accounts/login/")
    page.click("#sso-login")
    page.wait_for_url(f"{sso['issuer']}/**")
    provider_login(page, "alice", "not-her-password")
    assert sso["catalog"].base_url not in page.url
    page.goto(sso["catalog"].base_url + "/accounts/profile/")
    assert "/accounts/login/" in page.url


def test_password_sign_in_is_refused_when_switched_off(sso):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        sso["catalog"].base_url + "/accounts/login/", data=b"username=a&password=b", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
