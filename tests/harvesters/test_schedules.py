"""Issue 17, item 1: source schedules (django-celery-beat), one run at a time, cancel.

The schedule itself is a PeriodicTask row; the real worker and beat run it in
``test_schedule_celery.py``. Here: the API shape and its 400s, the next run time,
enable/disable following the source, the start rule of a scheduled tick (no second run,
missed ticks served once), and cancelling queued and running runs (nothing removed).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset, AssetSource, HarvestRun, Source
from harvesters.cancel import cancel_key, cancel_run
from harvesters.guard import claim_run
from harvesters.runner import run_harvest
from harvesters.schedules import fired_at, next_run_at, task_name
from harvesters.tasks import harvest_source
from tests.conftest import SAMPLES

CHINOOK = SAMPLES / "chinook" / "Chinook_Sqlite.sqlite"


@pytest.fixture
def api(db):
    """A staff token client."""
    user = User.objects.create_user("ops", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def body(**extra) -> dict:
    return {"name": "chinook", "kind": "sql", "config": {"url": f"sqlite:///{CHINOOK}"}, **extra}


def test_cron_schedule_with_time_zone_is_stored_and_shows_next_run(api):
    answer = api.post(
        "/api/v1/sources",
        body(schedule={"cron": "30 3 * * 1-5", "timezone": "Europe/Paris"}),
        format="json",
    )
    assert answer.status_code == 201, answer.content
    schedule = answer.json()["schedule"]
    assert schedule["cron"] == "30 3 * * 1-5" and schedule["timezone"] == "Europe/Paris"
    assert schedule["enabled"] is True
    task = PeriodicTask.objects.get(name=task_name(answer.json()["id"]))
    assert task.task == "harvesters.scheduled_harvest" and task.expire_seconds > 0
    # the next run is 03:30 Paris time on a weekday, within a week, in the future
    from zoneinfo import ZoneInfo

    nxt = next_run_at(task).astimezone(ZoneInfo("Europe/Paris"))
    assert (nxt.hour, nxt.minute, nxt.weekday() < 5) == (3, 30, True)
    assert timezone.now() < nxt < timezone.now() + timedelta(days=7)
    listed = api.get("/api/v1/sources").json()["results"][0]["schedule"]
    assert listed["next_run_at"] == schedule["next_run_at"]


def test_interval_schedule_edit_disable_and_remove(api):
    created = api.post(
        "/api/v1/sources", body(schedule={"every": 6, "period": "hours"}), format="json"
    )
    url = f"/api/v1/sources/{created.json()['id']}"
    schedule = created.json()["schedule"]
    assert (schedule["every"], schedule["period"]) == (6, "hours")
    # read-only keys sent back are ignored: a GET body can be PUT back as it is
    again = api.patch(url, {"schedule": {**schedule, "every": 2}}, format="json")
    assert again.status_code == 200 and again.json()["schedule"]["every"] == 2
    off = api.patch(url, {"enabled": False}, format="json").json()
    assert off["schedule"]["enabled"] is False and off["schedule"]["next_run_at"] is None
    assert PeriodicTask.objects.get(name=task_name(off["id"])).enabled is False
    gone = api.patch(url, {"schedule": None}, format="json").json()
    assert gone["schedule"] is None
    assert not PeriodicTask.objects.filter(name=task_name(off["id"])).exists()


@pytest.mark.parametrize(
    ("schedule", "named"),
    [
        ({"cron": "61 * * * *"}, "schedule.cron: invalid cron expression '61 * * * *'"),
        ({"cron": "every day"}, "schedule.cron: invalid cron expression 'every day'"),
        ({"cron": "0 3 * * *", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"every": 5, "period": "seconds"}, "schedule.every: 5 seconds is shorter"),
        ({"every": 1, "period": "fortnights"}, "schedule.period: 'fortnights'"),
        ({"cron": "0 3 * * *", "every": 1}, "either 'cron' or 'every'"),
        ({"when": "daily"}, "unknown key 'when'"),
    ],
)
def test_bad_schedules_are_refused_with_400_naming_them(api, schedule, named):
    answer = api.post("/api/v1/sources", body(schedule=schedule), format="json")
    assert answer.status_code == 400
    assert named in answer.json()["schedule"][0]
    assert (
        not Source.objects.exists()
        and not PeriodicTask.objects.filter(task="harvesters.scheduled_harvest").exists()
    )


def test_a_tick_never_starts_a_second_run_and_missed_ticks_run_once(db):
    source = Source.objects.create(
        name="chinook", kind="sql", config={"url": f"sqlite:///{CHINOOK}"}
    )
    running = HarvestRun.objects.create(
        source=source,
        status=HarvestRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=10),
    )
    run, reason = claim_run(source, since=timezone.now())
    assert run is None and f"run {running.pk}" in reason
    running.status = HarvestRun.Status.SUCCEEDED
    running.save()
    # three ticks were sent while no worker was up; the first one served starts a run
    ticks = [timezone.now() - timedelta(minutes=m) for m in (3, 2, 1)]
    first, _ = claim_run(source, since=ticks[0])
    assert first is not None
    run_harvest(source, first)
    # the other two were due before that run started: they do nothing
    for tick in ticks[1:]:
        run, reason = claim_run(source, since=tick)
        assert run is None and "started after this tick" in reason
    # the next tick, sent after that run, harvests again
    assert claim_run(source, since=timezone.now())[0] is not None


def test_fired_at_reads_the_send_time_from_the_expiry():
    sent = timezone.now().replace(microsecond=0)
    expires = (sent + timedelta(seconds=600)).isoformat()
    assert fired_at(expires, 600) == sent
    assert fired_at(None, 600) is None


def test_cancel_a_queued_run_before_a_worker_takes_it(db):
    source = Source.objects.create(
        name="chinook", kind="sql", config={"url": f"sqlite:///{CHINOOK}"}
    )
    run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED)
    assert cancel_run(run, "ops") == "cancelled"
    harvest_source.apply(args=(source.pk, run.pk))  # the worker then picks the message up
    run.refresh_from_db()
    assert run.status == "cancelled" and "cancelled by ops" in run.warnings[0]["message"]
    assert HarvestRun.objects.count() == 1 and not Asset.objects.exists()


def test_a_cancelled_run_removes_nothing(db, api):
    source = Source.objects.create(
        name="chinook", kind="sql", config={"url": f"sqlite:///{CHINOOK}"}
    )
    first = run_harvest(source)
    assert first.status == "succeeded", first.errors
    active = AssetSource.objects.filter(source=source, removed=False).count()
    assert active == 11
    # the next run is asked to stop while it runs: it stops after its first record
    run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    answer = api.post(f"/api/v1/runs/{run.pk}/cancel")
    assert answer.status_code == 202 and cache.get(cancel_key(run.pk))
    run = run_harvest(source, run)
    assert run.status == "cancelled" and run.removed_count == 0
    assert "nothing removed" in run.warnings[-1]["message"]
    assert AssetSource.objects.filter(source=source, removed=False).count() == 11
    assert not Asset.objects.filter(removed=True).exists()
    # a finished run cannot be cancelled
    again = api.post(f"/api/v1/runs/{run.pk}/cancel")
    assert again.status_code == 409 and "already ended (cancelled)" in again.json()["detail"]


def test_sources_page_shows_schedule_and_cancels_a_queued_run(api, client):
    created = api.post(
        "/api/v1/sources", body(schedule={"cron": "0 4 * * *", "timezone": "UTC"}), format="json"
    ).json()
    source = Source.objects.get(pk=created["id"])
    run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.QUEUED)
    client.force_login(User.objects.get(username="ops"))
    page = client.get("/sources/").content.decode()
    assert "<code>0 4 * * *</code> (UTC)" in page and "next run" in page and "04:00 UTC" in page
    assert f'data-cancel-run="{run.pk}"' in page
    # someone outside the owning team sees no Cancel button and is refused
    outsider = User.objects.create_user("outsider")
    client.force_login(outsider)
    assert f'data-cancel-run="{run.pk}"' not in client.get("/sources/").content.decode()
    assert client.post(f"/runs/{run.pk}/cancel").status_code == 403
    client.force_login(User.objects.get(username="ops"))
    answer = client.post(f"/runs/{run.pk}/cancel", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and 'data-status="cancelled"' in answer.content.decode()
    run.refresh_from_db()
    assert run.status == "cancelled"
