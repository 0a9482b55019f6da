"""The audit trail: chained, append-only, verified; the API, CSV, page and receivers."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.chain import verify
from audit.models import AppendOnlyError, AuditEntry
from audit.receivers import on_security_event
from audit.services import record
from products.models import DataProduct, Team, TeamMembership
from products.services import ProductEdit, TeamEdit


@pytest.fixture
def staff(db):
    return User.objects.create_user("auditor-staff", password="pw", is_staff=True)


def _three(actor):
    return [
        record(
            f"test.event{i}",
            actor,
            ("test.thing", str(i), f"thing {i}"),
            before={"n": i},
            after={"n": i + 1},
        )
        for i in range(3)
    ]


def test_entries_are_chained_and_verify_passes(staff, capsys):
    first, second, third = _three(staff)
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    call_command("verify_audit")
    assert "audit trail intact: 3 entries" in capsys.readouterr().out


def test_the_app_refuses_update_and_delete(staff):
    entry = record("test.x", staff, "x")
    entry.action = "test.y"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="test.y")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def _raw(sql, params=()):
    """Run SQL around the app (as an intruder with database access would)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def test_verify_detects_an_altered_row(staff):
    _, second, _ = _three(staff)
    _raw("UPDATE audit_auditentry SET after = %s WHERE seq = 2", ['{"n": 99}'])
    result = verify()
    assert any("entry 2: content altered" in p for p in result.problems)
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")


def test_verify_detects_a_removed_row_and_a_removed_tail(staff):
    _three(staff)
    _raw("DELETE FROM audit_auditentry WHERE seq = 2")
    assert any("missing" in p for p in verify().problems)
    _raw("DELETE FROM audit_auditentry WHERE seq = 3")
    assert any("newest entries" in p for p in verify().problems)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgres_trigger_refuses_update_and_delete(staff):
    record("test.x", staff, "x")
    for sql in ("UPDATE audit_auditentry SET action = 'y'", "DELETE FROM audit_auditentry"):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql)


def test_security_event_receiver_records_without_secrets(staff):
    on_security_event(
        None,
        action="token.created",
        actor=staff,
        subject=("identity.token", "7", "ci token"),
        detail={"scopes": ["read"]},
    )
    entry = AuditEntry.objects.get(action="token.created")
    assert (entry.actor_name, entry.subject_label, entry.detail) == (
        "auditor-staff",
        "ci token",
        {"scopes": ["read"]},
    )


def test_ownership_and_membership_changes_are_audited(staff):
    team, other = Team.objects.create(slug="a", name="A"), Team.objects.create(slug="b", name="B")
    product = DataProduct.objects.create(uid="p", name="P", owner_team=team)
    with ProductEdit(product, staff, "update"):
        product.owner_team = other
        product.save()
    member = User.objects.create_user("m")
    with TeamEdit(team, staff, "update"):
        TeamMembership.objects.create(team=team, user=member, role="owner")
    owned = AuditEntry.objects.get(action="product.ownership_changed")
    assert (owned.before, owned.after) == ({"owner_team": "a"}, {"owner_team": "b"})
    joined = AuditEntry.objects.get(action="team.membership_changed")
    assert "m (owner)" in joined.after["members"]
    assert verify().ok


def test_api_filters_csv_and_permission(client, staff):
    _three(staff)
    record("access.requested", staff, "r")
    plain = User.objects.create_user("plain", password="pw")
    client.force_login(plain)
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/audit/").status_code == 403
    plain.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    plain = User.objects.get(pk=plain.pk)
    client.force_login(plain)
    body = client.get("/api/v1/audit?action=access.").json()
    assert [e["action"] for e in body["results"]] == ["access.requested"]
    assert client.get("/api/v1/audit?actor=auditor-staff").json()["count"] == 4
    response = client.get("/api/v1/audit?action=test.event1&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [r["action"] for r in rows] == ["test.event1"]
    page = client.get("/audit/?action=test.")
    assert page.status_code == 200 and b"test.event2" in page.content
    kept = AuditEntry.objects.count()  # the four above and the sign-ins (security events)
    assert client.delete("/api/v1/audit").status_code == 405
    assert AuditEntry.objects.count() == kept
    assert AuditEntry.objects.exclude(action="login").count() == 4


def test_source_config_changes_are_audited_without_values(db):
    from catalog.models import Source

    source = Source.objects.create(name="wh", kind="sql", config={"url": "postgresql://a:pw1@h/d"})
    source.config = {"url": "postgresql://a:pw2@h/d"}
    source.save()
    entry = AuditEntry.objects.get(action="source.credentials_changed")
    assert entry.detail == {"changed_keys": ["url"]}
    assert "pw" not in str(entry.before) + str(entry.after) + str(entry.detail)
