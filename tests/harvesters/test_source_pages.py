"""Issue 17, item 2: source management in the UI (and the API's matching answers).

Create with a form generated from the kind's pydantic model (descriptions as help text),
test connection (failing, passing, hanging until its timeout), edit with masked secrets
kept, enable/disable, delete with the consequences spelled out (409 while a run is
going), all for staff and the owning team only.
"""

import socket
import threading
import time

import pytest
from django.contrib.auth.models import User
from django_celery_beat.models import PeriodicTask
from pydantic import Field
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset, AssetSource, HarvestRun, Source
from harvesters.base import Harvester, HarvesterConfig
from harvesters.registry import HARVESTERS
from harvesters.runner import run_harvest
from harvesters.schedules import task_name
from harvesters.secrets import MASK
from products.models import Team, TeamMembership
from tests.conftest import SAMPLES

CHINOOK = SAMPLES / "chinook" / "Chinook_Sqlite.sqlite"
PASSWORD = "Hunter2-secret-zz"


@pytest.fixture
def staff(db, client):
    user = User.objects.create_user("ops", is_staff=True)
    client.force_login(user)
    return user


def form(**extra) -> dict:
    """A filled ``sql`` source form."""
    return {
        "name": "chinook",
        "description": "",
        "owner_team": "",
        "enabled": "on",
        "schedule_type": "",
        "timezone": "UTC",
        "period": "hours",
        "cfg-url": f"sqlite:///{CHINOOK}",
        "cfg-include_views": "on",
        "cfg-row_counts": "on",
        "cfg-connect_timeout": "10",
        **extra,
    }


def test_create_a_source_from_the_generated_form_after_testing_the_connection(staff, client):
    kinds = client.get("/sources/new").content.decode()
    assert 'data-kind="sql"' in kinds and 'data-kind="lake"' in kinds
    page = client.get("/sources/new?kind=sql").content.decode()
    assert 'name="cfg-url"' in page and "SQLAlchemy URL" in page  # the description as help
    assert 'name="cfg-row_counts"' in page and 'name="cron"' in page
    # a connection test of a missing file fails, in words, and saves nothing
    bad = client.post(
        "/sources/new?kind=sql&probe=1",
        form(**{"cfg-url": f"sqlite:///{SAMPLES}/nope.sqlite"}),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-probe="failed"' in bad and "not found" in bad
    good = client.post(
        "/sources/new?kind=sql", {**form(), "action": "test"}
    ).content.decode()  # without HTMX: the whole form again, with the result
    assert 'data-probe="ok"' in good and "schema(s)" in good and 'value="chinook"' in good
    assert not Source.objects.exists()
    saved = client.post(
        "/sources/new?kind=sql",
        form(schedule_type="cron", cron="15 2 * * *", timezone="Europe/Paris", action="save"),
    )
    assert saved.status_code == 302
    source = Source.objects.get(name="chinook")
    assert source.config == {"url": f"sqlite:///{CHINOOK}"}  # defaults are left out
    task = PeriodicTask.objects.get(name=task_name(source.pk))
    assert (task.crontab.hour, str(task.crontab.timezone)) == ("2", "Europe/Paris")
    listing = client.get("/sources/").content.decode()
    assert "<code>15 2 * * *</code> (Europe/Paris)" in listing and "next run" in listing


@pytest.mark.parametrize(
    ("extra", "field", "named"),
    [
        ({"schedule_type": "cron", "cron": "0 25 * * *"}, "cron", "invalid cron expression"),
        (
            {"schedule_type": "cron", "cron": "0 3 * * *", "timezone": "Atlantis/Capital"},
            "timezone",
            "unknown time zone &#x27;Atlantis/Capital&#x27;",
        ),
        ({"cfg-url": ""}, "cfg-url", "This field is required"),
        ({"cfg-url": "sqlite:////etc/shadow.sqlite"}, "", "outside the folders"),
    ],
)
def test_bad_input_is_shown_on_the_field(staff, client, extra, field, named):
    answer = client.post("/sources/new?kind=sql", form(action="save", **extra))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert named in page
    if field:
        assert f'data-field="{field}"' in page and "formrow--error" in page
    assert not Source.objects.exists()


def test_edit_keeps_masked_secrets_and_never_shows_them(staff, client):
    url = f"postgresql+psycopg://svc:{PASSWORD}@127.0.0.1:1/chinook"
    source = Source.objects.create(name="pg", kind="sql", config={"url": url})
    page = client.get(f"/sources/{source.pk}/edit").content.decode()
    assert PASSWORD not in page and MASK in page
    masked = f"postgresql+psycopg://svc:{MASK}@127.0.0.1:1/chinook"
    answer = client.post(
        f"/sources/{source.pk}/edit",
        form(name="pg", description="orders", **{"cfg-url": masked}, action="save"),
    )
    assert answer.status_code == 302
    source.refresh_from_db()
    assert source.config["url"] == url and source.description == "orders"
    # the mask sent with another host is refused: the password would leave for it
    moved = client.post(
        f"/sources/{source.pk}/edit",
        form(name="pg", **{"cfg-url": masked.replace("127.0.0.1", "evil.example")}, action="save"),
    )
    assert moved.status_code == 400 and "enter the password again" in moved.content.decode()
    # a connection test of the stored config reports the failure without the password
    probe = client.post(
        f"/sources/{source.pk}/edit?probe=1",
        form(name="pg", **{"cfg-url": masked}),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-probe="failed"' in probe and PASSWORD not in probe


@pytest.fixture
def silent_server():
    """A loopback TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_hanging_connection_test_ends_at_its_timeout(db, settings, silent_server):
    settings.MESH_PROBE_TIMEOUT_SECONDS = 1.5
    user = User.objects.create_user("ops", is_staff=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    started = time.monotonic()
    answer = api.post(
        "/api/v1/sources/test-connection",
        {
            "kind": "sql",
            "config": {
                "url": f"postgresql+psycopg://svc:{PASSWORD}@127.0.0.1:{silent_server}/x",
                "connect_timeout": 30,
            },
        },
        format="json",
    )
    took = time.monotonic() - started
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is False and "no answer within 1.5 s" in body["message"], body
    assert 1.4 < took < 6 and PASSWORD not in answer.content.decode()
    # and a passing one over the API
    ok = api.post(
        "/api/v1/sources/test-connection",
        {"kind": "sql", "config": {"url": f"sqlite:///{CHINOOK}"}},
        format="json",
    ).json()
    assert ok["ok"] is True and "schema(s)" in ok["message"]
    bad = api.post(
        "/api/v1/sources/test-connection", {"kind": "sql", "config": {"urll": "x"}}, format="json"
    ).json()
    assert bad["ok"] is False and "unknown key 'urll'" in bad["message"]


def test_disable_enable_and_delete_with_the_consequences_spelled_out(staff, client):
    source = Source.objects.create(
        name="chinook", kind="sql", config={"url": f"sqlite:///{CHINOOK}"}
    )
    assert run_harvest(source).status == "succeeded"
    client.post(
        f"/sources/{source.pk}/edit",
        form(schedule_type="interval", every="6", period="hours", action="save"),
    )
    client.post(f"/sources/{source.pk}/enabled", {"enabled": "0"})
    source.refresh_from_db()
    assert (
        source.enabled is False and not PeriodicTask.objects.get(name=task_name(source.pk)).enabled
    )
    client.post(f"/sources/{source.pk}/enabled", {"enabled": "1"})
    source.refresh_from_db()
    assert source.enabled and PeriodicTask.objects.get(name=task_name(source.pk)).enabled
    # a run in progress: deleting is refused (page and API: 409)
    running = HarvestRun.objects.create(source=source, status=HarvestRun.Status.RUNNING)
    assert client.get(f"/sources/{source.pk}/delete").status_code == 409
    refused = client.post(f"/sources/{source.pk}/delete")
    assert refused.status_code == 409 and "harvest in progress" in refused.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    answer = api.delete(f"/api/v1/sources/{source.pk}")
    assert answer.status_code == 409 and f"run {running.pk}" in answer.json()["detail"]
    running.status = HarvestRun.Status.SUCCEEDED
    running.save()
    page = client.get(f"/sources/{source.pk}/delete").content.decode()
    assert "<strong>11</strong> assets reported only by this source are removed" in page
    assert client.post(f"/sources/{source.pk}/delete").status_code == 302
    assert not Source.objects.exists() and not AssetSource.objects.exists()
    assert Asset.objects.filter(removed=True).count() == 11
    assert not PeriodicTask.objects.filter(name=task_name(source.pk)).exists()


def test_only_staff_and_the_owning_team_manage_sources_in_the_ui(db, client):
    team = Team.objects.create(slug="data-eng", name="Data engineering")
    tina = User.objects.create_user("tina")
    TeamMembership.objects.create(team=team, user=tina)
    ours = Source.objects.create(
        name="ours", kind="sql", config={"url": f"sqlite:///{CHINOOK}"}, owner_team="data-eng"
    )
    theirs = Source.objects.create(
        name="theirs", kind="sql", config={"url": f"sqlite:///{CHINOOK}"}
    )
    assert client.get(f"/sources/{ours.pk}/edit").status_code == 302  # sign in first
    client.force_login(tina)
    assert client.get(f"/sources/{ours.pk}/edit").status_code == 200
    for url in (f"/sources/{theirs.pk}/edit", f"/sources/{theirs.pk}/delete"):
        assert client.get(url).status_code == 403
    assert client.post(f"/sources/{theirs.pk}/enabled", {"enabled": "0"}).status_code == 403
    # creating for a team one is not in is refused on the owning-team field
    answer = client.post(
        "/sources/new?kind=sql", form(name="mine", owner_team="finance", action="save")
    )
    assert answer.status_code == 403 and "teams you are a member of" in answer.content.decode()
    created = client.post(
        "/sources/new?kind=sql", form(name="mine", owner_team="data-eng", action="save")
    )
    assert created.status_code == 302 and Source.objects.get(name="mine").owner_team == "data-eng"


class ToyConfig(HarvesterConfig):
    """A kind added by a test: its form comes from this model."""

    endpoint: str = Field(description="where the toy catalogue answers")
    depth: int = Field(2, ge=1, description="how deep to look")
    mode: str = "fast"


class ToyHarvester(Harvester):
    """Yields nothing."""

    kind = "toy"
    config_class = ToyConfig

    def records(self):
        return iter(())


def test_a_new_kind_gets_its_form_for_free(staff, client, monkeypatch):
    monkeypatch.setitem(HARVESTERS, "toy", f"{__name__}.ToyHarvester")
    page = client.get("/sources/new?kind=toy").content.decode()
    assert "where the toy catalogue answers" in page and "how deep to look" in page
    probe = client.post(
        "/sources/new?kind=toy&probe=1",
        {"name": "toy", "period": "hours", "cfg-endpoint": "here", "cfg-depth": "3"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-probe="ok"' in probe and "nothing to harvest yet" in probe
    answer = client.post(
        "/sources/new?kind=toy",
        {
            "name": "toy",
            "period": "hours",
            "cfg-endpoint": "here",
            "cfg-depth": "0",
            "action": "save",
        },
    )
    assert answer.status_code == 400 and "greater than or equal to 1" in answer.content.decode()
