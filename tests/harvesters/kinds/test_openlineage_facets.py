"""OpenLineage facets end to end over POST /api/v1/lineage: ``sql`` lineage when the
event lists no (or not all) datasets, ``nominalTime`` validation, ``ownership`` and
``dataQualityMetrics``."""

import json
import uuid

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset, Ownership, QualityResult
from catalog.urns import dataset_urn, job_urn
from lineage.models import FieldLineageEdge, JobRun, LineageEdge, OpenLineageEvent

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/airflow"
FACET = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/x.json"}
PG = "postgres://db.example.com:5432"


@pytest.fixture
def api(db) -> APIClient:
    """A client with a DRF token sent as ``Authorization: Bearer`` (OpenLineage clients)."""
    client = APIClient()
    token = Token.objects.create(user=User.objects.create_user("airflow"))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


def run_event(job: dict, inputs=None, outputs=None, run_facets=None, **extra) -> dict:
    """A COMPLETE RunEvent of ``job`` (spec 2-0-2)."""
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-02T04:00:00+00:00",
        "run": {"runId": str(uuid.uuid4()), "facets": run_facets or {}},
        "job": job,
        "inputs": inputs if inputs is not None else [],
        "outputs": outputs if outputs is not None else [],
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    event.update(extra)
    return event


def sql_job(name: str, query: str, namespace: str = "airflow_prod") -> dict:
    return {"namespace": namespace, "name": name, "facets": {"sql": {**FACET, "query": query}}}


def post(client, body):
    return client.post("/api/v1/lineage", json.dumps(body), content_type="application/json")


def edges() -> set[tuple[str, str, str]]:
    return {
        (e.upstream.urn, e.downstream.urn, e.job.urn if e.job else "")
        for e in LineageEdge.objects.select_related("upstream", "downstream", "job")
    }


def field_edges() -> set[tuple[str, str, str, str]]:
    return {
        (e.upstream.asset.name, e.upstream.name, e.downstream.asset.name, e.downstream.name)
        for e in FieldLineageEdge.objects.select_related("upstream__asset", "downstream__asset")
    }


def test_sql_facet_without_datasets_gives_table_and_column_lineage(api):
    query = (
        "INSERT INTO sales.daily_revenue (day, revenue) "
        "SELECT o.ordered_on, sum(o.amount) AS revenue FROM sales.orders AS o "
        "JOIN sales.customers AS c ON c.id = o.customer_id GROUP BY o.ordered_on"
    )
    resp = post(api, run_event(sql_job("revenue_dag.load", query)))
    assert resp.status_code == 201, resp.json()
    assert resp.json()["warnings"] == []
    job = job_urn("airflow_prod", "revenue_dag.load")
    # no dataset in the event: the datasets are named in the job's namespace
    out, orders, customers = (
        dataset_urn("airflow_prod", f"sales.{t}") for t in ("daily_revenue", "orders", "customers")
    )
    assert edges() == {(orders, out, job), (customers, out, job)}
    made = Asset.objects.get(urn=out)
    assert (made.kind, made.type, made.name, made.namespace) == (
        "dataset",
        "table",
        "daily_revenue",
        "airflow_prod",
    )
    assert field_edges() == {
        ("orders", "ordered_on", "daily_revenue", "day"),
        ("orders", "amount", "daily_revenue", "revenue"),
    }
    assert set(FieldLineageEdge.objects.values_list("job__urn", flat=True)) == {job}
    # the lineage API now answers for the job and its tables
    body = api.get("/api/v1/impact", {"urn": orders}).json()
    assert [r["urn"] for r in body["results"]] == [out]


def test_sql_facet_completes_an_event_that_misses_some_datasets(api):
    """The event lists its output only: the SQL names the inputs; they are datasets of
    the event's dataset namespace, qualified like the tables the event lists."""
    query = (
        "INSERT INTO orders_clean SELECT id, lower(email) AS email FROM staging_orders; "
        "INSERT INTO order_emails (email) SELECT email FROM orders_clean"
    )
    outputs = [{"namespace": PG, "name": "shop.public.orders_clean"}]
    resp = post(api, run_event(sql_job("clean_orders", query), outputs=outputs))
    assert resp.status_code == 201, resp.json()
    job = job_urn("airflow_prod", "clean_orders")
    clean = dataset_urn(PG, "shop.public.orders_clean")
    staging = dataset_urn(PG, "shop.public.staging_orders")
    emails = dataset_urn(PG, "shop.public.order_emails")
    # statement by statement: staging → clean, clean → emails (never staging → emails)
    assert edges() == {(staging, clean, job), (clean, emails, job)}
    assert Asset.objects.get(urn=staging).platform == "postgres"
    assert ("staging_orders", "email", "orders_clean", "email") in field_edges()
    assert ("orders_clean", "email", "order_emails", "email") in field_edges()
    # a second delivery of the same lineage (new run) adds nothing
    post(api, run_event(sql_job("clean_orders", query), outputs=outputs))
    assert len(edges()) == 2 and Asset.objects.filter(kind="dataset").count() == 3


def test_sql_facet_column_lineage_only_where_no_column_lineage_facet(api):
    cl = {
        "columnLineage": {
            **FACET,
            "fields": {
                "total": {
                    "inputFields": [
                        {"namespace": PG, "name": "shop.public.raw_orders", "field": "gross"}
                    ]
                }
            },
        }
    }
    query = "INSERT INTO orders (id, total) SELECT id, amount AS total FROM raw_orders"
    resp = post(
        api,
        run_event(
            sql_job("load_orders", query),
            inputs=[{"namespace": PG, "name": "shop.public.raw_orders"}],
            outputs=[{"namespace": PG, "name": "shop.public.orders", "facets": cl}],
        ),
    )
    assert resp.status_code == 201, resp.json()
    assert field_edges() == {("raw_orders", "gross", "orders", "total")}  # the facet wins
    assert len(edges()) == 1  # the event's own input → output, not repeated from the SQL


def test_bad_nominal_time_is_refused_with_its_path(api):
    bad = run_event(
        {"namespace": "etl", "name": "nightly"},
        run_facets={"nominalTime": {**FACET, "nominalStartTime": "x"}},
    )
    resp = post(api, bad)
    assert resp.status_code == 400
    assert resp.json()["errors"] == [
        {
            "path": "$.run.facets.nominalTime.nominalStartTime",
            "message": "'x' is not an RFC 3339 date-time with a UTC offset",
        }
    ]
    bad["run"]["facets"]["nominalTime"] = {
        **FACET,
        "nominalStartTime": "2026-11-02T00:00:00Z",
        "nominalEndTime": "2026-11-02",  # no time, no offset
    }
    assert [e["path"] for e in post(api, bad).json()["errors"]] == [
        "$.run.facets.nominalTime.nominalEndTime"
    ]
    assert OpenLineageEvent.objects.count() == 0 and JobRun.objects.count() == 0
    bad["run"]["facets"]["nominalTime"]["nominalEndTime"] = "2026-11-03T00:00:00+01:00"
    assert post(api, bad).status_code == 201
    run = JobRun.objects.get()
    assert run.nominal_start_time.isoformat() == "2026-11-02T00:00:00+00:00"
    assert run.nominal_end_time.isoformat() == "2026-11-02T23:00:00+00:00"


def test_ownership_facet_gives_owners(api):
    ownership = {
        "ownership": {
            **FACET,
            "owners": [
                {"name": "user:ana@example.com", "type": "MAINTAINER"},
                {"name": "team:payments", "type": "BUSINESS_OWNER"},
                {"name": "bob", "type": "DATA_STEWARD"},
                {"type": "MAINTAINER"},  # no name: ignored
            ],
        }
    }
    job = {"namespace": "etl", "name": "payments", "facets": ownership}
    outputs = [{"namespace": PG, "name": "shop.public.payments", "facets": ownership}]
    assert post(api, run_event(job, outputs=outputs)).status_code == 201
    for urn in (job_urn("etl", "payments"), dataset_urn(PG, "shop.public.payments")):
        got = {
            (o.owner.name, o.owner.kind, o.owner.email, o.type, o.origin)
            for o in Ownership.objects.filter(asset__urn=urn).select_related("owner")
        }
        assert got == {
            ("ana@example.com", "user", "ana@example.com", "technical_owner", "openlineage"),
            ("payments", "team", "", "business_owner", "openlineage"),
            ("bob", "user", "", "data_steward", "openlineage"),
        }, urn
    body = api.get("/api/v1/assets", {"owner": "payments"}).json()
    assert sorted(r["name"] for r in body["results"]) == ["payments", "payments"]


def test_data_quality_metrics_input_facet_gives_a_quality_result(api):
    metrics = {
        **FACET,
        "rowCount": 1200,
        "bytes": 65536,
        "columnMetrics": {
            "amount": {"nullCount": 3, "distinctCount": 410, "min": 0.5, "max": 990.0}
        },
    }
    inputs = [
        {
            "namespace": PG,
            "name": "shop.public.payments",
            "inputFacets": {"dataQualityMetrics": metrics},
        }
    ]
    event = run_event({"namespace": "etl", "name": "check_payments"}, inputs=inputs)
    assert post(api, event).status_code == 201
    result = QualityResult.objects.get()
    assert result.asset.urn == dataset_urn(PG, "shop.public.payments")
    assert (result.name, result.status, result.check_type, result.origin) == (
        "dataQualityMetrics",
        "skipped",
        "metrics",
        "openlineage",
    )
    assert result.executed_at.isoformat() == "2026-11-02T04:00:00+00:00"
    assert result.details == {
        "rowCount": 1200,
        "bytes": 65536,
        "columnMetrics": metrics["columnMetrics"],
    }
    payments = result.asset
    assert (payments.row_count, payments.size_bytes) == (1200, 65536)
    # the same measurement delivered again (another run at the same time) is stored once
    post(api, run_event({"namespace": "etl", "name": "check_payments"}, inputs=inputs))
    assert QualityResult.objects.count() == 1
