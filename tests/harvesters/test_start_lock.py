"""Issue 17 gaps: "Harvest now" (page and API) takes the per-source start lock the
schedules take, so two clicks, or a click during a scheduled run, never start two runs
of a source (the second is refused with 409 naming the run that is going); a run that
failed or was cancelled after committing batches shows a Resume button on its page
(and ``POST /api/v1/runs/<id>/resume``) that continues after its last checkpoint.

The harvests are real (a 60-table SQLite source, batches of 10, from
``test_big_sources``); the embedded worker thread is replaced by the test running the
task itself (a thread would not see the test's uncommitted rows)."""

import sqlite3
import threading
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import HarvestRun
from harvesters import cancel, tasks
from harvesters.cancel import cancel_key
from harvesters.guard import Refused, claim, claim_run
from harvesters.kinds.sql import harvester as sql_harvester
from harvesters.tasks import harvest_source, is_resumable
from tests.harvesters.test_big_sources import (
    TABLES,
    _Unstarted,
    assert_complete,
    big,  # noqa: F401 - the fixture
    crashed_run,
)


@pytest.fixture
def staff(db):
    """``(user, API client with its token)``."""
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return user, api


@pytest.fixture(autouse=True)
def _roots(settings, tmp_path):
    """Sources may read the test's files."""
    settings.MESH_SOURCE_PATH_ROOTS = [tmp_path]


@pytest.fixture
def unstarted(monkeypatch):
    """Queued runs stay queued: the embedded worker thread is never started (only
    :mod:`harvesters.tasks` sees the stand-in; the runner's heartbeat thread is real)."""
    monkeypatch.setattr(tasks, "threading", SimpleNamespace(Thread=_Unstarted))


def test_two_harvest_now_clicks_start_one_run(make_source, staff, client, unstarted, tmp_path):
    user, api = staff
    source = make_source("shop", "sql", {"url": f"sqlite:///{tmp_path / 'x.db'}"})
    first = api.post(f"/api/v1/sources/{source.pk}/harvest")
    assert first.status_code == 202 and first.json()["status"] == "queued"
    run_id = first.json()["id"]
    second = api.post(f"/api/v1/sources/{source.pk}/harvest")
    assert second.status_code == 409
    assert second.json()["run"] == run_id and f"(run {run_id})" in second.json()["detail"]
    client.force_login(user)  # the page's button (HTMX) is refused the same way
    page = client.post(f"/sources/{source.pk}/harvest", HTTP_HX_REQUEST="true")
    assert page.status_code == 409 and f"run {run_id}" in page.content.decode()
    plain = client.post(f"/sources/{source.pk}/harvest", follow=True)  # a plain form post
    assert f"already has a queued harvest (run {run_id})" in plain.content.decode()
    assert HarvestRun.objects.filter(source=source).count() == 1


def test_a_click_during_a_scheduled_run_is_refused(make_source, staff, unstarted, tmp_path):
    _, api = staff
    source = make_source("shop", "sql", {"url": f"sqlite:///{tmp_path / 'x.db'}"})
    scheduled, reason = claim_run(source)  # what the schedule's task does first
    assert scheduled is not None, reason
    HarvestRun.objects.filter(pk=scheduled.pk).update(status="running")
    reply = api.post(f"/api/v1/sources/{source.pk}/harvest")
    assert reply.status_code == 409 and reply.json()["run"] == scheduled.pk
    assert "running harvest" in reply.json()["detail"]
    with pytest.raises(Refused) as refused:
        claim(source)
    assert refused.value.status == 409 and refused.value.body["run"] == scheduled.pk
    # and the schedule is refused while a clicked run is going
    assert claim_run(source) == (None, refused.value.body["detail"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="PostgreSQL only (make test's PostgreSQL pass runs it): pytest-django's in-memory "
    "SQLite test database is shared between threads with shared-cache table locks, which "
    "fail at once with 'database table is locked' instead of waiting as a file database "
    "in WAL mode does, so eight threads cannot contend for the start lock there",
)
def test_concurrent_claims_start_one_run(make_source, tmp_path):
    """Eight threads, each on its own connection, claim the same source at once: one
    run is created, seven are refused naming it (PostgreSQL's advisory start lock;
    SQLite serializes its write transactions)."""
    source = make_source("shop", "sql", {"url": f"sqlite:///{tmp_path / 'x.db'}"})
    barrier, results = threading.Barrier(8), []

    def click() -> None:
        barrier.wait()
        try:
            results.append(claim(source).pk)
        except Refused as exc:
            results.append(("refused", exc.body["run"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    runs = [r for r in results if not isinstance(r, tuple)]
    assert len(runs) == 1 and results.count(("refused", runs[0])) == 7
    assert HarvestRun.objects.filter(source=source).count() == 1


def test_resume_button_on_the_page_of_a_failed_run(
    make_source,
    harvest,
    big,  # noqa: F811 - the fixture imported above
    staff,
    client,
    unstarted,
):
    url, read = big
    run = crashed_run(make_source, harvest, url)
    user, _ = staff
    assert "data-resume-run" not in client.get(f"/runs/{run.id}/").content.decode()  # anonymous
    client.force_login(user)
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert f'data-resume-run="{run.id}"' in page
    read.clear()
    done = client.post(f"/runs/{run.id}/resume", follow=True)
    assert f"Run {run.id} resumes after its last checkpoint." in done.content.decode()
    run.refresh_from_db()
    assert run.status == "queued"
    again = client.post(f"/runs/{run.id}/resume", HTTP_HX_REQUEST="true")  # a second click
    assert again.status_code == 409 and f"queued harvest (run {run.id})" in again.content.decode()
    assert harvest_source(run.source_id, run.id, True) == run.id  # what the worker runs
    run.refresh_from_db()
    assert_complete(run)
    assert read == TABLES[30:] + ["v"]  # from the checkpoint, not from the start
    assert "data-resume-run" not in client.get(f"/runs/{run.id}/").content.decode()
    late = client.post(f"/runs/{run.id}/resume", follow=True)
    assert "cannot be resumed" in late.content.decode()
    assert HarvestRun.objects.count() == 1


def test_a_cancelled_run_resumes_through_the_api(
    make_source, harvest, staff, unstarted, monkeypatch, settings, tmp_path
):
    settings.MESH_HARVEST_COMMIT_EVERY = 10
    monkeypatch.setattr(sql_harvester, "DESCRIBE_CHUNK", 10)
    monkeypatch.setattr(cancel, "CHECK_SECONDS", 0)
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    for name in TABLES:
        conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t00 VALUES (1, 'x')")
    conn.execute("CREATE VIEW v AS SELECT id, v FROM t00")
    conn.commit()
    conn.close()
    original, read = sql_harvester.SQLHarvester._dataset, []

    def dataset(self, rel, *args):
        if rel.name == "t35" and not read.count("t35"):  # the user clicks Cancel here
            cache.set(cancel_key(self.run.pk), {"by": "ops", "at": 0}, 60)
        read.append(rel.name)
        return original(self, rel, *args)

    monkeypatch.setattr(sql_harvester.SQLHarvester, "_dataset", dataset)
    run = harvest(make_source("big", "sql", {"url": f"sqlite:///{path}"}))
    assert run.status == "cancelled" and run.progress["checkpoint"] == ["main", "t29"]
    assert run.removed_count == 0 and is_resumable(run)
    _, api = staff
    read.clear()
    reply = api.post(f"/api/v1/runs/{run.id}/resume")
    assert reply.status_code == 202 and reply.json()["status"] == "queued"
    twice = api.post(f"/api/v1/runs/{run.id}/resume")
    assert twice.status_code == 409 and twice.json()["run"] == run.id
    read.append("t35")  # no second cancel
    assert harvest_source(run.source_id, run.id, True) == run.id
    run.refresh_from_db()
    assert_complete(run)
    assert read == ["t35", *TABLES[30:], "v"]  # after the checkpoint only
    late = api.post(f"/api/v1/runs/{run.id}/resume")
    assert late.status_code == 409 and "cannot be resumed" in late.json()["detail"]
