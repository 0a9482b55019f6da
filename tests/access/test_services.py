"""The access state machine: who may do what, in which state, and what the audit trail
says (manual provisioner: nothing outside the catalog is touched)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access import services
from access.models import AccessRequest, PortAccessPolicy, State
from access.permissions import to_approve
from audit.chain import verify
from audit.models import AuditEntry
from products.models import TeamMembership
from tests.access.conftest import in_days


def _request(mesh, **kw):
    values = {"purpose": "monthly revenue report", "end_date": in_days(30)}
    values.update(kw)
    return services.create_request(mesh.consumer, mesh.port, **values)


def test_request_approve_provision_revoke_is_audited_and_chained(
    mesh, django_capture_on_commit_callbacks
):
    req = _request(mesh)
    assert req.state == State.REQUESTED
    assert list(to_approve(mesh.owner)) == [req]
    assert list(to_approve(mesh.member)) == []  # engineer: not an approver role
    assert list(to_approve(mesh.domain_owner)) == []  # the owning team has an owner
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(req, mesh.owner, end_date=in_days(10))
    req.refresh_from_db()
    # manual provisioner: waits for an owner
    assert (req.state, req.end_date) == (State.PROVISIONING, in_days(10))
    services.mark_provisioned(req, mesh.owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(req, mesh.owner, reason="project ended")
    req.refresh_from_db()
    assert req.state == State.REVOKED and req.warehouse_revoked
    actions = list(
        AuditEntry.objects.filter(subject_type="access.accessrequest")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "access.requested",
        "access.approved",
        "access.provisioning",
        "access.awaiting_manual",
        "access.provisioned",
        "access.revoked",
        "access.deprovisioned",
    ]
    assert verify().ok


def test_bad_input_names_the_field(mesh):
    with pytest.raises(ValidationError) as err:
        services.create_request(mesh.consumer, mesh.port, purpose="", end_date="")
    assert set(err.value.message_dict) == {"purpose", "end_date"}
    with pytest.raises(ValidationError) as err:
        _request(mesh, end_date=in_days(-1))
    assert "past" in err.value.message_dict["end_date"][0]
    with pytest.raises(ValidationError) as err:
        _request(mesh, end_date=in_days(400))
    assert "365-day" in err.value.message_dict["end_date"][0]
    with pytest.raises(ValidationError) as err:
        _request(mesh, level="write")
    assert "write" in err.value.message_dict["level"][0]


def test_cap_follows_the_setting(mesh, settings):
    settings.MESH_ACCESS_MAX_DAYS = 7
    with pytest.raises(ValidationError):
        _request(mesh, end_date=in_days(8))
    assert _request(mesh, end_date=in_days(7)).state == State.REQUESTED


def test_one_open_request_per_consumer_port_level(mesh):
    first = _request(mesh)
    with pytest.raises(services.DuplicateRequest) as err:
        _request(mesh)
    assert err.value.existing == first
    services.withdraw(first, mesh.consumer)
    assert _request(mesh).pk != first.pk


def test_nobody_approves_their_own_request_and_outsiders_cannot(mesh):
    own = services.create_request(mesh.owner, mesh.port, purpose="x", end_date=in_days(3))
    with pytest.raises(PermissionDenied, match="own request"):
        services.approve(own, mesh.owner)
    req = _request(mesh)
    for user in (mesh.member, mesh.other, mesh.domain_owner):
        with pytest.raises(PermissionDenied):
            services.approve(req, user)
    assert AccessRequest.objects.get(pk=req.pk).state == State.REQUESTED


def test_domain_owner_is_the_fallback_and_staff_always(mesh):
    TeamMembership.objects.filter(user=mesh.owner).update(role="engineer")
    req = _request(mesh)
    assert list(to_approve(mesh.domain_owner)) == [req]
    assert list(to_approve(mesh.staff)) == [req]
    services.approve(req, mesh.domain_owner)
    assert AccessRequest.objects.get(pk=req.pk).state == State.APPROVED


def test_wrong_state_is_a_conflict_naming_it(mesh):
    req = _request(mesh)
    services.deny(req, mesh.owner, reason="no purpose given")
    with pytest.raises(services.StateConflict, match="it is denied"):
        services.approve(req, mesh.owner)
    with pytest.raises(services.StateConflict):
        services.withdraw(req, mesh.consumer)


def test_deny_needs_a_reason(mesh):
    req = _request(mesh)
    with pytest.raises(ValidationError) as err:
        services.deny(req, mesh.owner, reason=" ")
    assert "reason" in err.value.message_dict


def test_personal_data_adds_a_data_protection_step(mesh):
    PortAccessPolicy.objects.create(port=mesh.port, personal_data=True)
    dpo = type(mesh.owner).objects.create_user("dpo")
    TeamMembership.objects.create(team=mesh.domain_team, user=dpo, role="data-protection")
    req = _request(mesh)
    assert list(to_approve(dpo)) == []
    services.approve(req, mesh.owner)
    req.refresh_from_db()
    assert (req.state, req.step, req.step_kind) == (State.REQUESTED, 1, "domain:data-protection")
    assert list(to_approve(mesh.owner)) == []
    assert list(to_approve(dpo)) == [req]
    with pytest.raises(PermissionDenied):
        services.approve(req, mesh.owner)
    services.approve(req, dpo)
    assert AccessRequest.objects.get(pk=req.pk).state == State.APPROVED


def test_expiry_sweep_expires_and_revokes(mesh, django_capture_on_commit_callbacks):
    from access.tasks import sweep

    req = _request(mesh)
    services.approve(req, mesh.owner)
    services.provision(req)
    services.mark_provisioned(req, mesh.owner)
    AccessRequest.objects.filter(pk=req.pk).update(end_date=in_days(-1))
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep()
    req.refresh_from_db()
    assert counts["expired"] == 1
    assert req.state == State.EXPIRED and req.warehouse_revoked


def test_renew_creates_a_linked_request(mesh):
    req = _request(mesh)
    services.approve(req, mesh.owner)
    services.provision(req)
    services.mark_provisioned(req, mesh.owner)
    renewal = services.renew(req, mesh.consumer, end_date=in_days(60))
    assert renewal.renews == req and renewal.state == State.REQUESTED
    with pytest.raises(PermissionDenied):
        services.renew(req, mesh.other, end_date=in_days(60))
    services.extend(req, mesh.owner, end_date=in_days(90))
    assert AccessRequest.objects.get(pk=req.pk).end_date == in_days(90)


def test_sweep_resumes_a_grant_whose_task_was_lost(mesh):
    """Approved, then the process died before the provisioning task ran: the sweep
    provisions it (manual here: it waits for an owner, and is not resumed again)."""
    import datetime as dt

    from django.utils import timezone

    from access.tasks import sweep

    req = _request(mesh)
    services.approve(req, mesh.owner)  # no on_commit run: the task is "lost"
    AccessRequest.objects.filter(pk=req.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert sweep()["retried"] == 1
    assert AccessRequest.objects.get(pk=req.pk).state == State.PROVISIONING
    assert sweep()["retried"] == 0
