"""The senders' signals reach the receivers: products sends ``slo_state_changed``, the
harvest sink sends ``quality_results_stored`` (a real dbt harvest), access sends
``request_changed``; failed harvests and deprecations become events."""

import datetime as dt

from django.utils import timezone

from access import services as access_services
from catalog.models import HarvestRun, Source
from harvesters.signals import quality_results_stored
from notifications import services
from notifications.models import Event, EventType, Incident, IncidentState
from products.events import slo_state_changed
from products.models import ProductStatus
from products.slo import record_sample


def test_products_send_slo_state_changed_once_per_change(mesh, django_capture_on_commit_callbacks):
    seen = []

    def listen(sender, slo, old, new, value, **kwargs):
        seen.append((old, new, value))

    slo_state_changed.connect(listen, dispatch_uid="test-listen")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_sample(mesh.slo, 500.0)
            record_sample(mesh.slo, 600.0)  # still met: nothing sent
            record_sample(mesh.slo, 1.0)  # 1 bad of 3 < 0.9: breached
    finally:
        slo_state_changed.disconnect(dispatch_uid="test-listen")
    assert seen == [("no data", "met", 500.0), ("met", "breached", 1.0)]
    mesh.slo.refresh_from_db()
    assert mesh.slo.last_state == "breached"


def test_quality_results_from_a_dbt_harvest(
    samples, make_source, harvest, django_capture_on_commit_callbacks
):
    received = []

    def listen(sender, results, **kwargs):
        received.extend(results)

    quality_results_stored.connect(listen, dispatch_uid="test-quality")
    try:
        source = make_source("dbt", "dbt", {"target_dir": str(samples / "jaffle_shop" / "target")})
        with django_capture_on_commit_callbacks(execute=True):
            harvest(source)
    finally:
        quality_results_stored.disconnect(dispatch_uid="test-quality")
    assert received, "the sink announces the stored results"
    assert {"asset_urn", "name", "status", "when"} <= set(received[0])
    assert {r["status"] for r in received} <= {"pass", "fail", "warn", "error", "skipped"}


def test_failed_quality_check_opens_and_pass_resolves(mesh, django_capture_on_commit_callbacks):
    now = timezone.now()

    def send(status, when):
        results = [
            {"asset_urn": mesh.asset.urn, "name": "not_null_total", "status": status, "when": when}
        ]
        with django_capture_on_commit_callbacks(execute=True):
            quality_results_stored.send(type(mesh.asset), results=results)

    send("fail", now)
    send("fail", now + dt.timedelta(hours=1))
    incident = Incident.objects.get()
    assert incident.cause == "quality_failed" and incident.product == mesh.product
    assert Event.objects.filter(type=EventType.QUALITY_FAILED).count() == 2
    send("pass", now + dt.timedelta(hours=2))
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED


def test_failed_harvest_tells_source_watchers(mesh, django_capture_on_commit_callbacks):
    services.watch(mesh.outsider, "source", mesh.source.pk)
    with django_capture_on_commit_callbacks(execute=True):
        run = HarvestRun.objects.create(source=mesh.source, status="running")
        run.status, run.ended_at = "failed", timezone.now()
        run.errors = [{"item": "db", "message": "connection refused"}]
        run.save()
        run.save()  # saved twice: one event
    (row,) = services.inbox(mesh.outsider)
    assert row.event.type == "harvest_failed" and "connection refused" in row.event.body
    assert Source.objects.count() == 1


def test_access_request_tells_approvers_then_requester(mesh, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = access_services.create_request(
            mesh.outsider,
            mesh.port,
            purpose="quarterly report",
            end_date=timezone.now().date() + dt.timedelta(days=30),
        )
    owner_rows = services.inbox(mesh.owner).filter(event__type="access_request")
    assert [r.event.title for r in owner_rows] == [
        "Access requested: outsider → Invoicing / invoices"
    ]
    assert not services.inbox(mesh.outsider).exists()
    with django_capture_on_commit_callbacks(execute=True):
        access_services.deny(req, mesh.owner, reason="use the aggregate")
    (row,) = services.inbox(mesh.outsider)
    assert "denied" in row.event.title and row.event.url == f"/access/requests/{req.pk}/"


def test_deprecation_reaches_owners_and_consumers(mesh, django_capture_on_commit_callbacks):
    from products.models import InputPort

    InputPort.objects.create(product=mesh.reporting, name="invoices", upstream_product=mesh.product)
    with django_capture_on_commit_callbacks(execute=True):
        mesh.product.status = ProductStatus.DEPRECATED
        mesh.product.save()
        mesh.product.save()  # still deprecated: no second event
    for user in (mesh.owner, mesh.analyst):
        assert [r.event.type for r in services.inbox(user)] == ["deprecation"]
    assert not services.inbox(mesh.outsider).exists()
