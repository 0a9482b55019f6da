"""Freshness SLIs fed by real harvests (lake, dbt) and OpenLineage runs over the API."""

import copy
import json
import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset
from catalog.urns import dataset_urn, job_urn
from harvesters.kinds.openlineage.convert import RunUpdate
from lineage.models import JobRun
from products import freshness
from products.checks import run_check
from products.models import SLO, DataProduct, OutputPort, SLISample
from products.signals import openlineage_runs_finished
from products.slo import compute_status

NS = "food_delivery"
DBT_NS = "duckdb://jaffle_shop"
# run_results.json of the jaffle_shop sample: execute timing of model.jaffle_shop.customers
CUSTOMERS_BUILT = datetime(2026, 11, 21, 19, 11, 15, 84507, tzinfo=UTC)


def _freshness_slo(urn: str, threshold: float, name: str = "fresh") -> SLO:
    """A freshness SLO on a port bound (by URN, resolved when harvested) to ``urn``."""
    product = DataProduct.objects.get_or_create(uid="fresh-product", defaults={"name": "F"})[0]
    port = OutputPort.objects.get_or_create(
        product=product, name=urn.rsplit("/", 1)[-1], defaults={"asset_urn": urn}
    )[0]
    asset = Asset.objects.filter(urn=urn).first()
    if asset is not None and port.asset_id is None:
        port.asset = asset
        port.save()
    return SLO.objects.create(
        port=port, name=name, kind="freshness", threshold=threshold, column="updated_at"
    )


def _age(sample: SLISample, stamp: datetime) -> float:
    return (sample.observed_at - stamp).total_seconds()


def _write_parquet(path, mtime: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": [1, 2, 3], "amount": [1.5, 2.5, 3.5]}), path)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))


@pytest.fixture
def small_lake(tmp_path):
    """A lake with one Parquet dataset ``orders/`` of two files; newest mtime 2 h ago."""
    root = tmp_path / "lake"
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    _write_parquet(root / "orders" / "part-0.parquet", newest - timedelta(days=1))
    _write_parquet(root / "orders" / "part-1.parquet", newest)
    return root, newest


def test_lake_harvest_samples_freshness_from_last_modified(small_lake, make_source, harvest):
    root, newest = small_lake
    urn = dataset_urn("lake://lake", "orders")
    ok = _freshness_slo(urn, threshold=3 * 3600, name="3h")
    late = _freshness_slo(urn, threshold=3600, name="1h")
    source = make_source("lake", "lake", {"path": str(root)})
    run = harvest(source)
    assert run.status == "succeeded", run.errors
    assert Asset.objects.get(urn=urn).properties["lake"]["last_modified"] == newest.isoformat()
    sample = ok.samples.get()
    assert sample.value == pytest.approx(_age(sample, newest), abs=1e-3)
    assert 7200 <= sample.value < 7200 + 120
    assert sample.good is True and sample.origin == "harvest:lake (lake last-modified)"
    assert late.samples.get().good is False
    assert compute_status(ok).state == "met" and compute_status(late).state == "breached"

    # new data lands: the next harvest samples a younger age
    fresher = newest + timedelta(minutes=90)
    _write_parquet(root / "orders" / "part-2.parquet", fresher)
    harvest(source)
    latest = late.samples.order_by("-observed_at", "-id").first()
    assert latest.value == pytest.approx(_age(latest, fresher), abs=1e-3)
    assert latest.good is True and late.samples.count() == 2

    # the scheduled check has no SQL source for a lake file: it uses the stored time
    checked = run_check(SLO.objects.get(pk=ok.pk))
    assert checked.error == "" and checked.origin == "check (lake last-modified)"
    assert checked.value == pytest.approx(_age(checked, fresher), abs=1e-3)


def test_dbt_harvest_samples_freshness_from_build_run(samples, tmp_path, make_source, harvest):
    urn = f"urn:mc:dataset:{DBT_NS}/jaffle_shop.main.customers"
    expected = (datetime.now(UTC) - CUSTOMERS_BUILT).total_seconds()
    good = _freshness_slo(urn, threshold=expected + 3600, name="good")
    bad = _freshness_slo(urn, threshold=max(1.0, expected - 3600), name="bad")
    target = samples / "jaffle_shop" / "target"
    run = harvest(make_source("jaffle-dbt", "dbt", {"target_dir": str(target)}))
    assert run.status in ("succeeded", "partial"), run.errors
    job = Asset.objects.get(urn=job_urn("dbt://jaffle_shop", "model.jaffle_shop.customers"))
    assert job.properties["dbt"]["last_run"]["status"] == "success"
    sample = good.samples.get()
    assert sample.value == pytest.approx(_age(sample, CUSTOMERS_BUILT), abs=1e-3)
    assert sample.good is True and sample.origin == "harvest:jaffle-dbt (dbt run)"
    assert bad.samples.get().good is False

    # a failed build refreshed nothing: no dbt candidate, so no sample
    out = tmp_path / "target"
    shutil.copytree(target, out)
    results = json.loads((out / "run_results.json").read_text())
    for result in results["results"]:
        if result["unique_id"] == "model.jaffle_shop.customers":
            result["status"] = "error"
    (out / "run_results.json").write_text(json.dumps(results))
    asset = Asset.objects.get(urn=urn)
    harvest(make_source("jaffle-dbt-failed", "dbt", {"target_dir": str(out)}))
    job.refresh_from_db()
    # both sources build the same job URN; the later harvest stored the failed run
    assert job.properties["dbt"]["last_run"]["status"] == "error"
    assert freshness.candidates(asset) == []


@pytest.fixture
def api(db) -> APIClient:
    user = User.objects.create_user("pipeline")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=user).key}")
    return client


def _shifted(events: list[dict], base: datetime) -> list[dict]:
    """The demo events moved so that their 02:00 start is ``base``."""
    origin = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    out = []
    for event in events:
        event = copy.deepcopy(event)
        at = datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
        event["eventTime"] = (base + (at - origin)).isoformat()
        out.append(event)
    return out


def _post(api, path, body):
    return api.post(path, json.dumps(body), content_type="application/json")


def test_openlineage_complete_runs_sample_freshness(
    api, samples, django_capture_on_commit_callbacks
):
    raw = json.loads((samples / "openlineage" / "food_delivery.json").read_text())
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    events = _shifted(raw, base)
    starts = [e for e in events if e["eventType"] == "START"]
    completes = [e for e in events if e["eventType"] == "COMPLETE"]
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(api, "/api/v1/lineage/batch", starts).status_code == 200
    urn = dataset_urn(NS, "public.delivery_7_days")
    good = _freshness_slo(urn, threshold=2 * 3600, name="2h")
    bad = _freshness_slo(urn, threshold=30 * 60, name="30m")
    assert not SLISample.objects.exists()  # START events complete nothing

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = _post(api, "/api/v1/lineage/batch", completes)
    assert resp.status_code == 200 and resp.json()["created"] == 13
    assert len(callbacks) >= 1
    ended = base + timedelta(minutes=6)  # etl_delivery_7_days COMPLETE at 02:06
    run = JobRun.objects.get(job__urn=job_urn(NS, "etl_delivery_7_days"))
    assert (run.state, run.ended_at) == ("COMPLETE", ended)
    sample = good.samples.get()
    assert sample.value == pytest.approx(_age(sample, ended), abs=1e-3)
    assert 54 * 60 <= sample.value < 54 * 60 + 120
    assert sample.good is True and sample.origin == "openlineage (openlineage run)"
    assert bad.samples.get().good is False

    # a later run that fails does not make the data fresher, nor does it sample
    failed = copy.deepcopy(completes[9])
    assert failed["job"]["name"] == "etl_delivery_7_days"
    failed.update(eventType="FAIL", run={"runId": "00000000-0000-4000-8000-000000000001"})
    failed["eventTime"] = datetime.now(UTC).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(api, "/api/v1/lineage", failed).status_code == 201
    assert good.samples.count() == 1
    assert freshness.newest(Asset.objects.get(urn=urn)).at == ended


def test_newest_timestamp_wins_between_lake_and_openlineage(
    small_lake, make_source, harvest, api, django_capture_on_commit_callbacks
):
    root, newest = small_lake
    urn = dataset_urn("lake://lake", "orders")
    slo = _freshness_slo(urn, threshold=3 * 3600)
    source = make_source("lake", "lake", {"path": str(root)})
    harvest(source)
    assert slo.samples.get().origin == "harvest:lake (lake last-modified)"
    # a job writes the lake folder (file namespace, as Spark reports it) 30 minutes ago
    done = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    event = {
        "eventType": "COMPLETE",
        "eventTime": done.isoformat(),
        "run": {"runId": "00000000-0000-4000-8000-000000000002"},
        "job": {"namespace": "spark", "name": "write_orders"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.raw_orders"}],
        "outputs": [{"namespace": "file", "name": str(root / "orders")}],
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(api, "/api/v1/lineage", event).status_code == 201
    sample = slo.samples.order_by("-observed_at", "-id").first()
    assert sample.origin == "openlineage (openlineage run)"
    assert sample.value == pytest.approx(_age(sample, done), abs=1e-3)
    bases = sorted(s.basis for s in freshness.candidates(Asset.objects.get(urn=urn)))
    assert bases == ["lake last-modified", "openlineage run"]
    # the lake harvest after a newer file lands: the file time wins again
    landed = done + timedelta(minutes=20)
    _write_parquet(root / "orders" / "part-9.parquet", landed)
    harvest(source)
    sample = slo.samples.order_by("-observed_at", "-id").first()
    assert sample.origin == "harvest:lake (lake last-modified)"
    assert sample.value == pytest.approx(_age(sample, landed), abs=1e-3)


def test_openlineage_receiver_costs_one_query_per_batch(db, django_assert_num_queries):
    updates = [
        RunUpdate(
            run_id=uuid.uuid4(),
            job_urn=job_urn("etl", f"job_{i}"),
            event_type="COMPLETE",
            event_time=datetime.now(UTC),
            facets={},
        )
        for i in range(50)
    ]
    with django_assert_num_queries(1):
        openlineage_runs_finished(JobRun, updates=updates)
    starts = [RunUpdate(**{**u.__dict__, "event_type": "START"}) for u in updates]
    with django_assert_num_queries(0):
        openlineage_runs_finished(JobRun, updates=starts)
