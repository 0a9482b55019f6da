"""Issue 17, item 7: a big source commits in batches at the harvester's checkpoints and
a run that dies midway resumes after its last committed checkpoint (the command's
``--resume`` and a redelivered Celery task), without starting over.

The crash is a real exception raised by the SQL harvester while it reads table t35 of
a real SQLite source (60 tables and a view), with batches of 10 tables."""

import sqlite3

import pytest
from django.core.management import call_command

from catalog.models import Asset, AssetSource, HarvestRun
from catalog.urns import dataset_urn
from harvesters.kinds.sql import harvester as sql_harvester
from harvesters.models import RunChange
from harvesters.tasks import harvest_source, is_resumable
from lineage.models import LineageEdge

TABLES = [f"t{i:02}" for i in range(60)]


@pytest.fixture
def big(tmp_path, settings, monkeypatch):
    """A 60-table SQLite source (and a view over t00), batches of 10, a crash at t35 of
    the first pass only; yields ``(source factory, names read)``."""
    settings.MESH_HARVEST_COMMIT_EVERY = 10
    monkeypatch.setattr(sql_harvester, "DESCRIBE_CHUNK", 10)
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    for name in TABLES:
        conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t00 VALUES (1, 'x')")
    conn.execute("CREATE VIEW v AS SELECT id, v FROM t00")
    conn.commit()
    conn.close()
    read: list[str] = []
    crash = {"armed": True}
    original = sql_harvester.SQLHarvester._dataset

    def dataset(self, rel, *args):
        if rel.name == "t35" and crash["armed"]:
            crash["armed"] = False
            raise RuntimeError("the worker died here")
        read.append(rel.name)
        return original(self, rel, *args)

    monkeypatch.setattr(sql_harvester.SQLHarvester, "_dataset", dataset)
    return f"sqlite:///{path}", read


def urn(name: str) -> str:
    return dataset_urn("sqlite://big", f"big.main.{name}")


def assert_complete(run: HarvestRun) -> None:
    assert run.status == "succeeded", run.errors
    assert run.counts["datasets"] == 61 and run.counts["fields"] == 122
    assert Asset.objects.filter(namespace="sqlite://big", removed=False).count() == 61
    assert AssetSource.objects.filter(last_run=run, removed=False).count() == 61
    added = list(
        RunChange.objects.filter(run=run, kind="asset_added").values_list("urn", flat=True)
    )
    assert sorted(added) == sorted(urn(n) for n in [*TABLES, "v"])  # each once
    assert LineageEdge.objects.filter(upstream__urn=urn("t00"), downstream__urn=urn("v")).exists()
    assert Asset.objects.get(urn=urn("t00")).row_count == 1
    assert run.progress["stage"] == "finished" and "checkpoint" not in run.progress


def crashed_run(make_source, harvest, url) -> HarvestRun:
    source = make_source("big", "sql", {"url": url})
    run = harvest(source)
    assert run.status == "failed"
    assert "the worker died here" in run.errors[0]["message"]
    # three batches of 10 committed with their checkpoint, the fourth rolled back
    assert run.progress["checkpoint"] == ["main", "t29"]
    assert run.progress["done"] == 30 and run.progress["total"] == 61
    assert Asset.objects.filter(namespace="sqlite://big").count() == 30
    assert RunChange.objects.filter(run=run, kind="asset_added").count() == 30
    assert is_resumable(run)
    return run


def test_resume_with_the_command(make_source, harvest, big, capsys, client):
    url, read = big
    run = crashed_run(make_source, harvest, url)
    assert "Stopped after 30 of 61 assets (49%)" in client.get(f"/runs/{run.id}/").content.decode()
    read.clear()
    call_command("harvest", "big", "--resume", verbosity=0)
    assert "resuming run" in capsys.readouterr().out
    run.refresh_from_db()
    assert read == TABLES[30:] + ["v"]  # nothing before the checkpoint is read again
    assert_complete(run)
    assert not is_resumable(run)
    with pytest.raises(Exception, match="no run to resume"):
        call_command("harvest", "big", "--resume", verbosity=0)


def test_a_redelivered_task_of_a_lost_worker_resumes(make_source, harvest, big):
    url, read = big
    run = crashed_run(make_source, harvest, url)
    # as if the worker had been killed: still "running", no heartbeat
    HarvestRun.objects.filter(pk=run.pk).update(status="running")
    read.clear()
    assert harvest_source(run.source_id, run.id) == run.id
    run.refresh_from_db()
    assert read == TABLES[30:] + ["v"]
    assert_complete(run)
    assert HarvestRun.objects.count() == 1


def test_a_later_harvest_is_not_a_resume(make_source, harvest, big):
    url, read = big
    run = crashed_run(make_source, harvest, url)
    read.clear()
    fresh = harvest(run.source)  # a new run starts over (idempotent upserts)
    assert read == [*TABLES, "v"]
    assert fresh.status == "succeeded" and fresh.counts["datasets"] == 61
    run.refresh_from_db()
    assert not is_resumable(run)  # no longer the newest run


class _Unstarted:
    """Stands in for the embedded-mode worker thread: the test runs the task itself,
    in its own transaction (a thread would not see the test's uncommitted rows)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def start(self) -> None:
        pass


def test_resume_through_the_api(make_source, harvest, big, settings, tmp_path, monkeypatch):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from harvesters import tasks

    settings.MESH_SOURCE_PATH_ROOTS = [tmp_path]
    url, read = big
    run = crashed_run(make_source, harvest, url)
    user = User.objects.create_user("ops", is_staff=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    read.clear()
    with monkeypatch.context() as patched:  # only while the API enqueues
        patched.setattr(tasks.threading, "Thread", _Unstarted)
        reply = api.post(f"/api/v1/sources/{run.source_id}/harvest?resume=true")
    assert reply.status_code == 202, reply.json()
    assert (reply.json()["id"], reply.json()["status"]) == (run.id, "queued")
    assert harvest_source(run.source_id, run.id, True) == run.id  # what the worker runs
    run.refresh_from_db()
    assert_complete(run)
    assert read == TABLES[30:] + ["v"]
    again = api.post(f"/api/v1/sources/{run.source_id}/harvest?resume=true")
    assert again.status_code == 409 and "no run to resume" in again.json()["detail"]
    assert HarvestRun.objects.count() == 1
