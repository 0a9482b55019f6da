"""Issue 9, items 1 and 2: who may manage sources, what they may read, and secrets.

A signed-in user in no team must not create, change, harvest or delete a source; the
catalog's own database, ``MESH_VAR_DIR`` and paths outside ``MESH_SOURCE_PATH_ROOTS``
are not harvestable; a stored password is never shown (API, pages, admin, run report,
log line) and cannot be re-pointed at another host by sending the mask back.
"""

import contextlib
import io
import logging
import sqlite3
import threading

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset
from harvesters.models import HarvestRun, Source
from harvesters.runner import run_harvest
from harvesters.secrets import MASK
from products.models import Team, TeamMembership

PASSWORD = "S3cretPW-zz9"
PG_URL = f"postgresql+psycopg://svc:{PASSWORD}@127.0.0.1:1/chinook"


def token_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def roots(settings, tmp_path):
    """Sources may read ``tmp_path/allowed`` only."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    settings.MESH_SOURCE_PATH_ROOTS = [allowed]
    return allowed


@pytest.fixture
def shop(roots):
    """An SQLite database inside the allowed root."""
    path = roots / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
    return path


@pytest.fixture
def people(db):
    """``mallory`` (no team), ``tina`` (team ``data-eng``), ``root`` (staff)."""
    team = Team.objects.create(slug="data-eng", name="Data engineering")
    tina = User.objects.create_user("tina")
    TeamMembership.objects.create(team=team, user=tina)
    return {
        "mallory": User.objects.create_user("mallory"),
        "tina": tina,
        "root": User.objects.create_user("root", is_staff=True),
    }


def test_user_in_no_team_cannot_touch_sources(people, shop):
    source = Source.objects.create(
        name="shop", kind="sql", config={"url": f"sqlite:///{shop}"}, owner_team="data-eng"
    )
    api = token_client(people["mallory"])
    body = {"name": "mine", "kind": "sql", "config": {"url": f"sqlite:///{shop}"}}
    assert api.post("/api/v1/sources", body, format="json").status_code == 403
    url = f"/api/v1/sources/{source.pk}"
    assert api.patch(url, {"description": "pwned"}, format="json").status_code == 403
    assert api.put(url, {**body, "name": "shop"}, format="json").status_code == 403
    assert api.post(f"{url}/harvest").status_code == 403
    assert api.delete(url).status_code == 403
    # giving one's own source away to, or creating one for, a team one is not in
    assert (
        api.post("/api/v1/sources", {**body, "owner_team": "data-eng"}, format="json").status_code
        == 403
    )
    source.refresh_from_db()
    assert source.description == "" and not HarvestRun.objects.exists()
    # the web page's "Harvest now" too
    web = APIClient()
    web.force_login(people["mallory"])
    assert web.post(f"/sources/{source.pk}/harvest").status_code == 403
    assert "Harvest now" not in web.get("/sources/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_owning_team_and_staff_manage_sources(people, shop):
    tina = token_client(people["tina"])
    body = {
        "name": "shop",
        "kind": "sql",
        "config": {"url": f"sqlite:///{shop}"},
        "owner_team": "data-eng",
    }
    resp = tina.post("/api/v1/sources", body, format="json")
    assert resp.status_code == 201, resp.json()
    url = f"/api/v1/sources/{resp.json()['id']}"
    assert tina.patch(url, {"description": "ours"}, format="json").status_code == 200
    assert tina.post(f"{url}/harvest").status_code == 202
    for thread in threading.enumerate():  # the embedded harvest runs in a thread
        if thread.name.startswith("harvest-"):
            thread.join(timeout=60)
    # handing it to a team tina is not in is refused
    Team.objects.create(slug="other", name="Other")
    assert tina.patch(url, {"owner_team": "other"}, format="json").status_code == 403
    root = token_client(people["root"])
    assert root.patch(url, {"description": "staff"}, format="json").status_code == 200


@pytest.mark.parametrize(
    "config_of",
    [
        lambda s: {"kind": "lake", "config": {"path": "/etc"}},
        lambda s: {"kind": "sql", "config": {"url": "sqlite:////etc/passwd"}},
        lambda s: {"kind": "dbt", "config": {"target_dir": "/etc"}},
        lambda s: {"kind": "lake", "config": {"path": "http://169.254.169.254/latest"}},
        lambda s: {"kind": "lake", "config": {"path": "simplecache::file:///etc"}},
        lambda s: {"kind": "lake", "config": {"path": str(s.VAR_DIR)}},
        lambda s: {
            "kind": "sql",
            "config": {"url": f"sqlite:///{s.DATABASES['default']['NAME']}"},
        },
    ],
    ids=["lake-etc", "sqlite-etc", "dbt-etc", "lake-http", "lake-chained", "var-dir", "own-db"],
)
def test_paths_outside_the_roots_are_refused(people, roots, settings, config_of):
    body = {"name": "probe", **config_of(settings)}
    resp = token_client(people["root"]).post("/api/v1/sources", body, format="json")
    assert resp.status_code == 400, resp.json()
    assert "config" in resp.json()
    assert not Source.objects.filter(name="probe").exists()


def test_paths_inside_the_roots_are_accepted(people, roots, shop):
    api = token_client(people["root"])
    (roots / "lake").mkdir()
    for body in (
        {"name": "lake", "kind": "lake", "config": {"path": str(roots / "lake")}},
        {"name": "db", "kind": "sql", "config": {"url": f"sqlite:///{shop}"}},
    ):
        assert api.post("/api/v1/sources", body, format="json").status_code == 201


@contextlib.contextmanager
def own_database_url(settings, tmp_path):
    """A ``sql`` source URL naming the catalog's own database: on PostgreSQL the test
    database itself (``localhost`` for ``127.0.0.1``); on SQLite (an in-memory test
    database) a file with an ``authtoken_token`` table made the catalog's database."""
    db = settings.DATABASES["default"]
    if "postgresql" in db["ENGINE"]:
        host = "localhost" if db["HOST"] in ("127.0.0.1", "") else db["HOST"]
        yield f"postgresql+psycopg://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
        return
    catalog_db = tmp_path / "catalog-copy.sqlite3"
    with sqlite3.connect(catalog_db) as conn:
        conn.execute("CREATE TABLE authtoken_token (key TEXT)")
    original = db["NAME"]
    db["NAME"] = str(catalog_db)
    try:
        yield f"sqlite:///{catalog_db}"
    finally:
        db["NAME"] = original


def test_catalog_database_is_never_harvested(db, settings, tmp_path):
    """Even a source created behind the API's back (admin shell, CLI) cannot read the
    catalog's own database: its ``authtoken_token`` never becomes an asset."""
    settings.MESH_SOURCE_PATH_ROOTS = ["/"]
    with own_database_url(settings, tmp_path) as url:
        source = Source.objects.create(name="own", kind="sql", config={"url": url})
        run = run_harvest(source)
    assert run.status == "failed"
    assert "not harvestable" in run.errors[0]["message"]
    assert not Asset.objects.filter(name="authtoken_token").exists()
    var_source = Source.objects.create(
        name="var", kind="lake", config={"path": str(settings.VAR_DIR)}
    )
    assert run_harvest(var_source).status == "failed"


def test_harvest_of_a_source_outside_the_roots_is_refused(people, roots):
    source = Source.objects.create(name="etc", kind="lake", config={"path": "/etc"})
    resp = token_client(people["root"]).post(f"/api/v1/sources/{source.pk}/harvest")
    assert resp.status_code == 400 and "MESH_SOURCE_PATH_ROOTS" in str(resp.json())
    assert not HarvestRun.objects.exists()


def test_password_never_shown(people, client, settings):
    source = Source.objects.create(name="pg", kind="sql", config={"url": PG_URL})
    anonymous = APIClient()
    for resp in (
        anonymous.get(f"/api/v1/sources/{source.pk}"),
        anonymous.get("/api/v1/sources"),
    ):
        assert resp.status_code == 200
        assert PASSWORD not in resp.content.decode()
    assert anonymous.get(f"/api/v1/sources/{source.pk}").json()["config"]["url"] == (
        f"postgresql+psycopg://svc:{MASK}@127.0.0.1:1/chinook"
    )
    run = run_harvest(source)  # port 1: connection refused
    assert run.status == "failed"
    for text in (
        str(run.errors),
        anonymous.get(f"/api/v1/runs/{run.pk}").content.decode(),
        client.get(f"/runs/{run.pk}/").content.decode(),
        client.get("/sources/").content.decode(),
    ):
        assert PASSWORD not in text
    admin = APIClient()
    admin.force_login(User.objects.create_superuser("boss", password="x-pass-123"))
    page = admin.get(f"/admin/catalog/source/{source.pk}/change/").content.decode()
    assert PASSWORD not in page and MASK in page


def test_secret_keys_in_nested_options_are_masked(people, roots):
    api = token_client(people["root"])
    (roots / "lake").mkdir()
    body = {
        "name": "s3ish",
        "kind": "lake",
        "config": {
            "path": str(roots / "lake"),
            "storage_options": {"key": "AKIAEXAMPLE", "secret": "very-secret-value"},
        },
    }
    resp = api.post("/api/v1/sources", body, format="json")
    assert resp.status_code == 201, resp.json()
    text = resp.content.decode() + api.get("/api/v1/sources").content.decode()
    assert "very-secret-value" not in text and "AKIAEXAMPLE" not in text


def test_edit_sending_the_mask_keeps_the_secret_but_not_for_another_host(people):
    source = Source.objects.create(name="pg", kind="sql", config={"url": PG_URL})
    api = token_client(people["root"])
    url = f"/api/v1/sources/{source.pk}"
    shown = api.get(url).json()["config"]
    resp = api.patch(url, {"config": {**shown, "row_counts": False}}, format="json")
    assert resp.status_code == 200, resp.json()
    source.refresh_from_db()
    assert source.config["url"] == PG_URL and source.config["row_counts"] is False
    moved = shown["url"].replace("127.0.0.1:1", "evil.example.com:5432")
    resp = api.patch(url, {"config": {"url": moved}}, format="json")
    assert resp.status_code == 400
    assert "enter the password again" in str(resp.json())
    source.refresh_from_db()
    assert source.config["url"] == PG_URL
    # a new password for the new host is fine
    new = "postgresql+psycopg://svc:other-pw@db.example.com:5432/chinook"
    assert api.patch(url, {"config": {"url": new}}, format="json").status_code == 200


def test_log_lines_mask_url_passwords():
    handler = next(h for h in logging.getLogger().handlers if h.filters)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("harvesters.test").warning("cannot reach %s", PG_URL)
    finally:
        handler.setStream(old)
    assert PASSWORD not in stream.getvalue() and MASK in stream.getvalue()


def test_catalog_database_url_is_refused_whatever_the_engine(people, settings, tmp_path):
    """The catalog's own database as a ``sql`` source URL over the API: 400."""
    settings.MESH_SOURCE_PATH_ROOTS = ["/"]  # refused for what it is, not where it is
    with own_database_url(settings, tmp_path) as url:
        resp = token_client(people["root"]).post(
            "/api/v1/sources", {"name": "own", "kind": "sql", "config": {"url": url}}, format="json"
        )
    assert resp.status_code == 400
    assert "catalog's own database" in str(resp.json())
