"""Issue 17, items 3 and 4: what a run changed (its diff, API, page, signal) and the
undo of its soft deletions, on a real SQLite source file harvested into the catalog
database under test (SQLite or PostgreSQL)."""

import sqlite3

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEntry
from catalog.models import Asset, AssetSource, HarvestRun
from catalog.urns import dataset_urn
from harvesters.models import RunChange
from harvesters.records import DatasetRecord, OwnerRecord
from harvesters.report import HarvestReport
from harvesters.signals import run_changes_recorded
from harvesters.sink import CatalogSink

NS = "sqlite://shop"


def urn(table: str) -> str:
    return dataset_urn(NS, f"shop.main.{table}")


def changes(run, kind=None) -> dict[str, dict]:
    rows = RunChange.objects.filter(run=run)
    if kind:
        rows = rows.filter(kind=kind)
    return {c.urn: c.detail for c in rows}


@pytest.fixture
def shop(tmp_path, settings):
    """A SQLite file with tables a, b, c; the fail-safe off (tests remove a third)."""
    settings.MESH_STALE_REMOVAL_MAX_SHARE = 1.0
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, price INTEGER, note TEXT)")
    conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY)")
    conn.commit()
    yield path, conn
    conn.close()


@pytest.fixture
def received():
    """Every ``run_changes_recorded`` send, as ``(run id, changes)``."""
    sends = []

    def receiver(sender, run, changes, **kwargs):
        sends.append((run.id, changes))

    run_changes_recorded.connect(receiver, dispatch_uid="test-run-changes")
    yield sends
    run_changes_recorded.disconnect(dispatch_uid="test-run-changes")


def staff_client(username="ops") -> tuple[APIClient, User]:
    user = User.objects.create_user(username, password="pw-Secret-123", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client, user


def test_a_run_records_added_changed_removed_and_edges(make_source, harvest, shop, received):
    path, conn = shop
    source = make_source("shop", "sql", {"url": f"sqlite:///{path}"})
    first = harvest(source)
    assert first.status == "succeeded", first.errors
    assert changes(first, "asset_added") == {u: {"type": "table"} for u in map(urn, "abc")}
    assert RunChange.objects.filter(run=first).exclude(kind="asset_added").count() == 0
    assert received == [
        (
            first.id,
            [{"kind": "asset_added", "urn": urn(t), "detail": {"type": "table"}} for t in "abc"],
        )
    ]

    # a column added (not breaking); b: a column removed and one re-typed (breaking);
    # c dropped; a view over a (a new asset and a lineage edge)
    conn.execute("ALTER TABLE a ADD COLUMN email TEXT")
    conn.execute("DROP TABLE b")
    conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, price NUMERIC(10, 2))")
    conn.execute("DROP TABLE c")
    conn.execute("CREATE VIEW v AS SELECT id, name FROM a")
    conn.commit()
    second = harvest(source)
    assert second.status == "succeeded", second.errors
    assert changes(second, "asset_added") == {urn("v"): {"type": "view"}}
    assert changes(second, "schema_changed") == {
        urn("a"): {"added": ["email"], "removed": [], "type_changed": [], "breaking": False},
        urn("b"): {
            "added": [],
            "removed": ["note"],
            "type_changed": [["price", "INTEGER", "NUMERIC(10, 2)"]],
            "breaking": True,
        },
    }
    assert set(
        RunChange.objects.filter(run=second, breaking=True).values_list("urn", flat=True)
    ) == {urn("b")}
    assert changes(second, "asset_removed") == {urn("c"): {"catalog_removed": True}}
    assert changes(second, "edge_added") == {
        urn("v"): {"upstream": urn("a"), "downstream": urn("v"), "job": None}
    }
    [(run_id, sent)] = received[1:]
    assert run_id == second.id and len(sent) == 5
    assert {c["kind"] for c in sent} == {
        "asset_added",
        "schema_changed",
        "asset_removed",
        "edge_added",
    }

    # an unchanged source changes nothing
    third = harvest(source)
    assert RunChange.objects.filter(run=third).count() == 0 and len(received) == 2

    conn.execute("DROP VIEW v")
    conn.commit()
    fourth = harvest(source)
    assert changes(fourth, "edge_removed") == {
        urn("v"): {"upstream": urn("a"), "downstream": urn("v"), "job": None}
    }
    assert set(changes(fourth, "asset_removed")) == {urn("v")}


def test_description_owners_and_tags_changes_in_the_sink(make_source, db):
    source = make_source("push", "sql", {"url": "sqlite:///unused.db"})

    def write(description, tags, owners):
        run = HarvestRun.objects.create(source=source, status="running")
        sink = CatalogSink(source, run, HarvestReport())
        sink.add(
            DatasetRecord(
                urn="urn:mc:dataset:x://h/d.s.t",
                namespace="x://h",
                qualified_name="d.s.t",
                name="t",
                platform="x",
                description=description,
                tags=tags,
                owners=[OwnerRecord(name=o) for o in owners],
            )
        )
        sink.flush()
        return run

    first = write("orders", ["pii"], ["ann"])
    assert changes(first) == {"urn:mc:dataset:x://h/d.s.t": {"type": "table"}}
    second = write("all orders", ["pii", "gold"], ["ann", "bob"])
    assert changes(second) == {
        "urn:mc:dataset:x://h/d.s.t": {
            "description": ["orders", "all orders"],
            "tags_added": ["gold"],
            "owners_added": ["bob"],
        }
    }
    third = write("", [], [])  # empty never erases: no change
    assert changes(third) == {}


def test_changes_api_is_paginated_and_filtered(make_source, harvest, tmp_path, client):
    path = tmp_path / "wide.db"
    conn = sqlite3.connect(path)
    for i in range(60):
        conn.execute(f"CREATE TABLE t{i:02} (id INTEGER)")
    conn.commit()
    conn.close()
    run = harvest(make_source("wide", "sql", {"url": f"sqlite:///{path}"}))
    body = client.get(f"/api/v1/runs/{run.id}/changes").json()
    assert body["count"] == 60 and len(body["results"]) == 50 and body["next"]
    first = body["results"][0]
    assert (first["kind"], first["urn"], first["breaking"]) == (
        "asset_added",
        dataset_urn("sqlite://wide", "wide.main.t00"),
        False,
    )
    assert len(client.get(body["next"]).json()["results"]) == 10
    assert client.get(f"/api/v1/runs/{run.id}/changes?kind=asset_removed").json()["count"] == 0
    assert client.get(f"/api/v1/runs/{run.id}/changes?kind=nonsense").status_code == 400
    assert client.get("/api/v1/runs/999999/changes").status_code == 404
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert "asset_added: 60" in page and "Page 1 of 1" not in page


def test_restore_from_api_is_recorded_and_next_harvest_decides(make_source, harvest, shop):
    path, conn = shop
    source = make_source("shop", "sql", {"url": f"sqlite:///{path}"})
    harvest(source)
    conn.execute("DROP TABLE c")
    conn.execute("DROP TABLE b")
    conn.commit()
    removing = harvest(source)
    assert set(changes(removing, "asset_removed")) == {urn("b"), urn("c")}
    api, user = staff_client()
    url = f"/api/v1/runs/{removing.id}/restore"

    bad = api.post(url, {"urns": [urn("a")]}, format="json")
    assert bad.status_code == 400 and urn("a") in bad.json()["detail"]
    assert APIClient().post(url, {}, format="json").status_code in (401, 403)
    outsider = User.objects.create_user("outsider")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=outsider).key}")
    assert other.post(url, {}, format="json").status_code == 403
    busy = HarvestRun.objects.create(source=source, status="running")
    assert api.post(url, {}, format="json").status_code == 409
    busy.delete()

    done = api.post(url, {"urns": [urn("c")]}, format="json")
    assert done.status_code == 200 and done.json() == {"restored": [urn("c")], "skipped": []}
    c = Asset.objects.get(urn=urn("c"))
    assert not c.removed and c.removed_at is None
    assert not AssetSource.objects.get(asset=c, source=source).removed
    assert Asset.objects.get(urn=urn("b")).removed
    [restored] = RunChange.objects.filter(run=removing, kind="asset_restored")
    assert (restored.urn, restored.actor, restored.detail) == (urn("c"), user, {"by": "ops"})
    entry = AuditEntry.objects.get(action="harvest.assets_restored")
    assert entry.actor_name == "ops" and entry.detail["urns"] == [urn("c")]
    again = api.post(url, {}, format="json").json()  # all: b now, c already active
    assert again == {"restored": [urn("b")], "skipped": [urn("c")]}

    # the source still lacks b and c: the next harvest removes them again; a table that
    # is back is kept
    conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY)")
    conn.commit()
    after = harvest(source)
    assert set(changes(after, "asset_removed")) == {urn("b")}
    assert not Asset.objects.get(urn=urn("c")).removed
    assert urn("c") not in changes(after, "asset_added")  # restored, so not new


def test_restore_from_the_run_page(make_source, harvest, shop, client):
    path, conn = shop
    source = make_source("shop", "sql", {"url": f"sqlite:///{path}"})
    harvest(source)
    conn.execute("DROP TABLE c")
    conn.commit()
    run = harvest(source)
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert "asset_removed" in page and 'name="urn"' not in page  # anonymous: no buttons
    _, user = staff_client()
    client.force_login(user)
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert f'value="{urn("c")}"' in page and "Restore selected" in page
    empty = client.post(f"/runs/{run.id}/restore", {}, follow=True).content.decode()
    assert "Select the assets to restore" in empty
    done = client.post(f"/runs/{run.id}/restore", {"urn": [urn("c")]}, follow=True)
    assert "Restored 1 asset." in done.content.decode()
    assert not Asset.objects.get(urn=urn("c")).removed
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert "restored by ops" in page and 'name="urn"' not in page
