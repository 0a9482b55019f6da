"""Secrets at rest (issue 10, item 5): a PostgreSQL source whose URL carries a password is
created over the API and harvested; the password never appears in clear in any API
response, page, log line, run report or the database dump. Encryption uses
``MESH_SECRETS_KEYS`` (Fernet); references (``${env:NAME}``, ``${file:path}``) keep the
value out of the database altogether; key rotation re-encrypts."""

import io
import json
import logging
import secrets
from urllib.parse import quote

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Asset, HarvestRun, Source
from harvesters.vault import SecretError, resolve
from tests.pg_chinook import SERVER


@pytest.fixture
def pg_source_db():
    """A PostgreSQL role with a password, owning a database with two tables; dropped after.

    Fails (never skips) when the PostgreSQL server is not reachable."""
    suffix = secrets.token_hex(4)
    role, dbname = f"mesh_leak_{suffix}", f"mesh_leak_{suffix}"
    password = "Pw-" + secrets.token_urlsafe(12)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f"CREATE DATABASE {dbname} OWNER {role}")
    with psycopg.connect(f"{SERVER}/{dbname}", autocommit=True) as conn:
        conn.execute(f"SET ROLE {role}")
        conn.execute("CREATE TABLE customers (id int primary key, name text)")
        conn.execute("CREATE TABLE orders (id int primary key, customer_id int, total numeric)")
    host = SERVER.split("@", 1)[1]
    yield {"role": role, "db": dbname, "password": password, "host": host}
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def collect(client: APIClient, web: Client, paths_api: list[str], paths_web: list[str]) -> str:
    """Every response body, concatenated."""
    out = [client.get(p).content.decode() for p in paths_api]
    out += [web.get(p).content.decode() for p in paths_web]
    return "\n".join(out)


@pytest.mark.django_db
def test_a_harvested_postgres_password_is_never_in_clear(
    pg_source_db, world, settings, caplog, capsys
):
    settings.MESH_SECRETS_KEYS = [Fernet.generate_key().decode()]
    caplog.set_level(logging.DEBUG)
    pw = pg_source_db["password"]
    url = (
        f"postgresql+psycopg://{pg_source_db['role']}:{quote(pw)}@{pg_source_db['host']}"
        f"/{pg_source_db['db']}"
    )
    admin = APIClient()
    admin.force_authenticate(world["staff"])
    created = admin.post(
        "/api/v1/sources", {"name": "leaky", "kind": "sql", "config": {"url": url}}, format="json"
    )
    assert created.status_code == 201, created.content
    # a second source that cannot connect: its error message must not leak either
    closed = url.replace(pg_source_db["host"], "127.0.0.1:9")
    assert admin.post(
        "/api/v1/sources", {"name": "closed", "kind": "sql", "config": {"url": closed}},
        format="json",
    ).status_code == 201  # fmt: skip
    out = io.StringIO()
    call_command("harvest", "leaky", stdout=out, stderr=out)
    with pytest.raises(CommandError, match="harvest of 'closed' failed"):
        call_command("harvest", "closed", stdout=out, stderr=out)
    runs = {r.source.name: r for r in HarvestRun.objects.select_related("source")}
    assert runs["leaky"].status == "succeeded", runs["leaky"].errors
    assert runs["closed"].status == "failed"
    urns = list(
        Asset.objects.filter(urn__contains=pg_source_db["db"]).values_list("urn", flat=True)
    )
    assert len(urns) == 2  # the two tables, harvested with the decrypted password

    web = Client()
    web.force_login(world["staff"])
    everything = [created.content.decode(), out.getvalue()]
    everything.append(
        collect(
            admin,
            web,
            ["/api/v1/sources", "/api/v1/runs", "/api/v1/assets?source=leaky"]
            + [f"/api/v1/sources/{s.pk}" for s in Source.objects.all()]
            + [f"/api/v1/runs/{r.pk}" for r in runs.values()]
            + [f"/api/v1/assets/{u}" for u in urns],
            ["/sources/", "/search?q=orders"]
            + [f"/runs/{r.pk}/" for r in runs.values()]
            + [f"/assets/{u}" for u in urns],
        )
    )
    everything.append(
        json.dumps(list(HarvestRun.objects.values()), default=str)
    )  # run reports: counts, warnings, errors, progress
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    everything.append(dump.getvalue())
    everything.append("\n".join(r.getMessage() for r in caplog.records))
    captured = capsys.readouterr()
    everything += [captured.out, captured.err]
    text = "\n".join(everything)
    assert pw not in text and quote(pw) not in text
    # what is stored is ciphertext that the harvester alone turns back into the URL
    stored = Source.objects.get(name="leaky").config["url"]
    assert "${enc:" in stored and resolve({"url": stored})["url"] == url


def test_references_keep_the_secret_out_of_the_database(db, settings, monkeypatch, tmp_path):
    settings.MESH_SECRETS_KEYS = []
    monkeypatch.setenv("MESH_TEST_PG_PASSWORD", "from-the-env")
    secret_file = tmp_path / "pg-password"
    secret_file.write_text("from-a-file\n")
    source = Source.objects.create(
        name="ref",
        kind="sql",
        config={"url": "postgresql+psycopg://u:${env:MESH_TEST_PG_PASSWORD}@db/x",
                "password": f"${{file:{secret_file}}}"},
    )  # fmt: skip
    stored = json.dumps(Source.objects.filter(pk=source.pk).values()[0], default=str)
    assert "from-the-env" not in stored and "from-a-file" not in stored
    resolved = resolve(source.config)
    assert resolved == {
        "url": "postgresql+psycopg://u:from-the-env@db/x",
        "password": "from-a-file",
    }
    monkeypatch.delenv("MESH_TEST_PG_PASSWORD")
    with pytest.raises(
        SecretError, match=r"config.url: environment variable MESH_TEST_PG_PASSWORD"
    ):
        resolve(source.config)


def test_key_rotation_re_encrypts_and_old_keys_stop_working(db, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MESH_SECRETS_KEYS = [old]
    source = Source.objects.create(
        name="rot", kind="sql", config={"url": "postgresql+psycopg://u:s3cret@db/x"}
    )
    before = Source.objects.get(pk=source.pk).config["url"]
    assert "s3cret" not in before
    settings.MESH_SECRETS_KEYS = [new, old]
    call_command("rotate_source_secrets", stdout=io.StringIO())
    after = Source.objects.get(pk=source.pk).config["url"]
    assert after != before
    settings.MESH_SECRETS_KEYS = [new]  # the old key dropped: the rotated value still reads
    assert resolve({"url": after})["url"] == "postgresql+psycopg://u:s3cret@db/x"
    with pytest.raises(SecretError, match="cannot decrypt"):
        resolve({"url": before})
