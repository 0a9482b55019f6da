"""Security events (issue 10, item 6): sign-in, failed sign-in, sign-out, token created and
revoked (see test_tokens), role changes (global roles, team memberships, from sign-on
groups) and source credential changes are sent as ``identity.signals.security_event``,
which the audit trail app records; none carries a secret."""

import json

from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Source
from identity.models import RoleAssignment
from identity.signals import groups_claimed
from products.models import TeamMembership


def actions(events) -> list[str]:
    return [e["action"] for e in events]


def test_sign_in_failed_sign_in_and_sign_out(db, events):
    User.objects.create_user("ada", password="correct horse")
    client = Client()
    wrong = client.post("/accounts/login/", {"username": "ada", "password": "wrong horse"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": "ada", "password": "correct horse"})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    assert actions(events) == ["login_failed", "login", "logout"]
    assert events[0]["subject"] == "ada" and events[1]["actor"].username == "ada"
    assert "horse" not in json.dumps(events, default=str)


def test_role_changes_are_sent(world, events):
    grant = RoleAssignment.objects.create(user=world["oscar"], role="steward")
    grant.delete()
    membership = TeamMembership.objects.get(user=world["mel"])
    membership.role = "owner"
    membership.save()
    membership.delete()
    changes = [e["detail"] for e in events if e["action"] == "role_changed"]
    assert changes == [
        {"role": "steward", "granted": True},
        {"role": "steward", "granted": False},
        {"team": "sales-eng", "from": "member", "to": "owner"},
        {"team": "sales-eng", "from": "owner", "to": None},
    ]


def test_groups_claimed_sync_team_memberships(world, events, settings):
    settings.MESH_OIDC_TEAMS_AUTHORITATIVE = True
    user = world["fred"]  # owner of finance
    groups_claimed.send(sender=None, user=user, groups=["team:sales-eng:steward", "team:nope"])
    assert {(m.team.slug, m.role) for m in user.team_memberships.all()} == {
        ("sales-eng", "steward")
    }
    details = [e["detail"] for e in events if e["action"] == "role_changed"]
    assert {"team": "sales-eng", "from": None, "to": "steward"} in details
    assert {"team": "finance", "from": "owner", "to": None} in details


def test_source_credential_change_names_keys_never_values(db, events):
    source = Source.objects.create(
        name="warehouse", kind="sql", config={"url": "postgresql://u:hunter2@db/x"}
    )
    source.config = {"url": "postgresql://u:swordfish@db/x"}
    source.save()
    source.enabled = False
    source.save()  # no config change: no event
    sent = [e for e in events if e["action"] == "source_credential_changed"]
    assert [e["detail"]["keys"] for e in sent] == [["url"], ["url"]]
    assert sent[0]["detail"]["created"] and not sent[1]["detail"]["created"]
    dump = json.dumps(events, default=str)
    assert "hunter2" not in dump and "swordfish" not in dump
