"""OpenLineage intake: Marquez-compatible POST /api/v1/lineage, batch, runs, import command."""

import copy
import json
import uuid

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Asset, AssetSource, Field, QualityResult
from catalog.urns import dataset_urn, job_urn
from harvesters import registry
from harvesters.base import Harvester
from harvesters.records import DatasetRecord, FieldRecord
from harvesters.runner import run_harvest
from lineage.models import FieldLineageEdge, JobRun, LineageEdge, OpenLineageEvent

NS = "food_delivery"
RUN_ID = "4d3b8069-69b6-4708-ade0-3275112c9f04"


@pytest.fixture
def events(samples) -> list[dict]:
    """The 26 Marquez demo events."""
    return json.loads((samples / "openlineage" / "food_delivery.json").read_text())


@pytest.fixture
def api(db) -> APIClient:
    """A client authenticated with a DRF token sent the way OpenLineage clients send it."""
    user = User.objects.create_user("pipeline")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=user).key}")
    return client


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def minimal_event(**changes) -> dict:
    event = {
        "eventType": "START",
        "eventTime": "2026-11-01T03:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "etl", "name": "load_orders"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.raw_orders"}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}],
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    event.update(changes)
    return event


def test_food_delivery_over_the_api(api, events):
    for i, event in enumerate(events):
        resp = post(api, "/api/v1/lineage", event)
        assert resp.status_code == 201, (i, resp.json())
    assert Asset.objects.filter(kind="job").count() == 13
    # 13 datasets the events list + the 8 tmp_* tables the loading jobs' SQL reads
    tmp = {
        "menus",
        "categories",
        "menu_items",
        "orders",
        "customers",
        "order_status",
        "drivers",
        "restaurants",
    }
    assert Asset.objects.filter(kind="dataset").count() == 13 + len(tmp)
    assert OpenLineageEvent.objects.count() == 26
    # one edge per (input, output) pair of each job: 4+5+2*1+2+0 (email_discounts: no output)
    # + from the sql facets: tmp_<t> → <t> (8), and top_delivery_times → discounts (the
    # second statement of delivery_times_7_days)
    assert LineageEdge.objects.count() == 13 + 8 + 1
    # tables only the SQL names take the platform of the event's datasets (dataSource)
    assert set(
        Asset.objects.filter(name__startswith="tmp_").values_list("platform", flat=True)
    ) == {"postgres"}
    for table in tmp:
        edge = LineageEdge.objects.get(upstream__urn=dataset_urn(NS, f"public.tmp_{table}"))
        assert edge.downstream.urn == dataset_urn(NS, f"public.{table}")
        assert edge.job.urn == job_urn(NS, f"etl_{table}")
    assert LineageEdge.objects.get(
        upstream__urn=dataset_urn(NS, "public.top_delivery_times"),
        downstream__urn=dataset_urn(NS, "public.discounts"),
    ).job.urn == job_urn(NS, "delivery_times_7_days")
    edge = LineageEdge.objects.get(
        upstream__urn=dataset_urn(NS, "public.customers"),
        downstream__urn=dataset_urn(NS, "public.delivery_7_days"),
    )
    assert edge.job.urn == job_urn(NS, "etl_delivery_7_days")
    with_cl = set(FieldLineageEdge.objects.values_list("downstream__asset__name", flat=True))
    assert (
        with_cl
        == {
            "orders_7_days",
            "delivery_7_days",
            "top_delivery_times",
            "discounts",
            "popular_orders_day_of_week",
        }
        | tmp
    )
    # 39 columnLineage input fields; one names public.menu_item_id, not an input: skipped;
    # + one DIRECT edge per column the 8 loading jobs' INSERT ... SELECT copies (54)
    assert FieldLineageEdge.objects.count() == 38 + 54
    assert FieldLineageEdge.objects.filter(
        upstream__asset__urn=dataset_urn(NS, "public.tmp_menus"),
        upstream__name="restaurant_id",
        downstream__asset__urn=dataset_urn(NS, "public.menus"),
        downstream__name="restaurant_id",
        job__urn=job_urn(NS, "etl_menus"),
    ).exists()
    assert set(JobRun.objects.values_list("state", flat=True)) == {"COMPLETE"}
    assert JobRun.objects.count() == 13
    run = JobRun.objects.get(run_id=RUN_ID)
    assert run.started_at.isoformat() == "2026-11-01T02:00:00+00:00"
    assert run.ended_at.isoformat() == "2026-11-01T02:08:00+00:00"
    assert run.nominal_start_time.isoformat() == "2020-02-22T22:00:00+00:00"
    quality = sorted(QualityResult.objects.values_list("name", "status", "field_name"))
    assert quality == [
        ("is_string(customer_address)", "pass", "customer_address"),
        ("not_null(driver_id)", "fail", "driver_id"),
    ]
    menus = Asset.objects.get(urn=dataset_urn(NS, "public.menus"))
    assert menus.description == "A table for menus."
    assert menus.platform == "postgres"
    assert [f.name for f in menus.fields.order_by("ordinal")] == [
        "id",
        "name",
        "restaurant_id",
        "description",
    ]
    assert menus.fields.get(name="id").data_type == "integer"
    job = Asset.objects.get(urn=job_urn(NS, "etl_menus"))
    assert job.description == "Loads newly added restaurant menus daily."
    assert job.properties["sql"].startswith("INSERT INTO menus")
    assert set(job.properties["openlineage"]["facets"]) == {"sql", "documentation"}
    assert job.properties["openlineage"]["outputs"] == [dataset_urn(NS, "public.menus")]
    # the core lineage API answers over OpenLineage jobs
    resp = api.get(
        "/api/v1/lineage",
        {"urn": dataset_urn(NS, "public.delivery_7_days"), "direction": "upstream", "depth": "1"},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert {e["source"] for e in body["edges"]} == {
        dataset_urn(NS, f"public.{t}")
        for t in ("orders_7_days", "customers", "order_status", "drivers", "restaurants")
    }
    assert {e["job"] for e in body["edges"]} == {job_urn(NS, "etl_delivery_7_days")}
    # run history
    resp = api.get(f"/api/v1/jobs/{job_urn(NS, 'etl_menus')}/runs")
    assert resp.status_code == 200
    rows = resp.json()["results"]
    assert [(r["run_id"], r["state"], r["facets"]) for r in rows] == [
        (RUN_ID, "COMPLETE", ["nominalTime"])
    ]
    assert api.get("/api/v1/jobs/urn:mc:job:nope/x/runs").status_code == 404


def test_duplicate_delivery_is_harmless(api, events):
    assert post(api, "/api/v1/lineage", events[0]).status_code == 201
    resp = post(api, "/api/v1/lineage", copy.deepcopy(events[0]))
    assert resp.status_code == 200 and resp.json()["status"] == "duplicate"
    assert OpenLineageEvent.objects.count() == 1
    assert JobRun.objects.get(run_id=RUN_ID).event_count == 1
    assert Field.objects.filter(asset__urn=dataset_urn(NS, "public.menus")).count() == 4


def test_invalid_events_name_each_path(api):
    bad = minimal_event(run={"runId": "not-a-uuid"}, inputs="x")
    del bad["eventTime"]
    resp = post(api, "/api/v1/lineage", bad)
    assert resp.status_code == 400
    assert sorted(e["path"] for e in resp.json()["errors"]) == [
        "$.eventTime",
        "$.inputs",
        "$.run.runId",
    ]
    resp = api.post("/api/v1/lineage", "{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"] == "$"
    assert "not valid JSON" in resp.json()["errors"][0]["message"]
    resp = post(api, "/api/v1/lineage", minimal_event(eventTime=20261101))
    assert resp.json()["errors"] == [{"path": "$.eventTime", "message": "must be string, not int"}]
    assert OpenLineageEvent.objects.count() == 0 and Asset.objects.count() == 0


def test_batch_with_one_bad_event_stores_the_good_ones(api, events):
    batch = events[:4] + [minimal_event(run={})] + events[4:6]
    resp = post(api, "/api/v1/lineage/batch", batch)
    assert resp.status_code == 207
    body = resp.json()
    assert (body["created"], body["invalid"], body["duplicates"]) == (6, 1, 0)
    bad = [r for r in body["results"] if r["status"] == "invalid"]
    assert bad == [
        {
            "index": 4,
            "status": "invalid",
            "errors": [{"path": "$.run.runId", "message": "is required"}],
        }
    ]
    assert OpenLineageEvent.objects.count() == 6
    assert post(api, "/api/v1/lineage/batch", events[:2]).json()["duplicates"] == 2
    assert post(api, "/api/v1/lineage/batch", {"a": 1}).status_code == 400


@override_settings(MESH_OPENLINEAGE_MAX_BYTES=2000)
def test_event_over_the_limit_gets_413(api, events):
    assert len(json.dumps(events[0])) > 2000
    resp = post(api, "/api/v1/lineage", events[0])
    assert resp.status_code == 413
    assert "MESH_OPENLINEAGE_MAX_BYTES" in resp.json()["errors"][0]["message"]
    assert post(api, "/api/v1/lineage", events[1]).status_code == 201
    body = post(api, "/api/v1/lineage/batch", events[:2]).json()
    assert [r["status"] for r in body["results"]] == ["too_large", "duplicate"]


def test_writes_need_a_token(db, events):
    client = APIClient()
    resp = post(client, "/api/v1/lineage", events[0])
    assert resp.status_code in (401, 403)
    assert post(client, "/api/v1/lineage/batch", events[:1]).status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert post(client, "/api/v1/lineage", events[0]).status_code == 401
    assert OpenLineageEvent.objects.count() == 0
    user = User.objects.create_user("tok")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert post(client, "/api/v1/lineage", events[0]).status_code == 201


def test_import_command_array_and_ndjson(db, samples, tmp_path, capsys):
    call_command("import_openlineage", str(samples / "openlineage" / "food_delivery.json"))
    assert "26 events: 26 stored, 0 duplicates, 0 invalid" in capsys.readouterr().out
    lines = [json.dumps(minimal_event()), "", "{broken", json.dumps(minimal_event(job={}))]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines))
    with pytest.raises(CommandError, match="2 invalid"):
        call_command("import_openlineage", str(path))
    out = capsys.readouterr().out
    assert "3 events: 1 stored, 0 duplicates, 2 invalid" in out
    assert "event 1: invalid: $: line 3: body is not valid JSON" in out
    assert "event 2: invalid: $.job.namespace: is required; $.job.name: is required" in out
    assert Asset.objects.filter(
        urn=dataset_urn("postgres://db:5432", "shop.public.orders")
    ).exists()


def test_older_1x_event_and_other_event_kinds(api):
    old = {  # openlineage-python 0.x / spec 1-0-0 style: no schemaURL, no eventType facets
        "eventType": "COMPLETE",
        "eventTime": "2021-11-01T10:00:00.123456+01:00",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "spark", "name": "wordcount"},
        "inputs": [{"namespace": "hdfs://nn:8020", "name": "/data/in"}],
        "outputs": [
            {
                "namespace": "hdfs://nn:8020",
                "name": "/data/out",
                "facets": {
                    "columnLineage": {
                        "_producer": "p",
                        "_schemaURL": "s",
                        "fields": {
                            "word": {
                                "inputFields": [
                                    {
                                        "namespace": "hdfs://nn:8020",
                                        "name": "/data/in",
                                        "field": "line",
                                    }
                                ],
                                "transformationType": "MASKED",
                            }
                        },
                    },
                    "myCompany_custom": {"_producer": "p", "_schemaURL": "s", "anything": [1, 2]},
                },
            }
        ],
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/0.3.1/integration/spark",
    }
    assert post(api, "/api/v1/lineage", old).status_code == 201
    out = Asset.objects.get(urn=dataset_urn("hdfs://nn:8020", "/data/out"))
    assert out.properties["openlineage"]["facets"]["myCompany_custom"]["anything"] == [1, 2]
    edge = FieldLineageEdge.objects.get()
    assert (edge.transformation, edge.subtype) == ("DIRECT", "MASKED")
    assert JobRun.objects.get().state == "COMPLETE"
    dataset_event = {
        "eventTime": "2026-11-01T03:00:00Z",
        "producer": "p",
        "dataset": {
            "namespace": "kafka://b:9092",
            "name": "orders",
            "facets": {"documentation": {"description": "Order topic"}},
        },
    }
    assert post(api, "/api/v1/lineage", dataset_event).status_code == 201
    assert (
        Asset.objects.get(urn=dataset_urn("kafka://b:9092", "orders")).description == "Order topic"
    )
    job_event = {
        "eventTime": "2026-11-01T03:00:00Z",
        "producer": "p",
        "job": {"namespace": "etl", "name": "static_job"},
        "inputs": [{"namespace": "kafka://b:9092", "name": "orders"}],
        "outputs": [{"namespace": "kafka://b:9092", "name": "orders_clean"}],
    }
    assert post(api, "/api/v1/lineage", job_event).status_code == 201
    assert LineageEdge.objects.filter(job__urn=job_urn("etl", "static_job")).count() == 1
    assert JobRun.objects.count() == 1


def test_run_states_move_forward_only_and_keep_direct_and_indirect_apart(api):
    run_id = str(uuid.uuid4())
    up, down = "shop.public.raw_orders", "shop.public.orders"
    cl = {
        "columnLineage": {
            "_producer": "p",
            "_schemaURL": "s",
            "fields": {
                "amount": {
                    "inputFields": [
                        {
                            "namespace": "postgres://db:5432",
                            "name": up,
                            "field": "amount",
                            "transformations": [
                                {"type": "DIRECT", "subtype": "IDENTITY"},
                                {"type": "INDIRECT", "subtype": "FILTER"},
                            ],
                        }
                    ]
                }
            },
        }
    }
    outputs = [{"namespace": "postgres://db:5432", "name": down, "facets": cl}]
    parent = {
        "parent": {
            "_producer": "p",
            "_schemaURL": "s",
            "run": {"runId": RUN_ID},
            "job": {"namespace": "airflow", "name": "dag"},
        }
    }
    start = minimal_event(run={"runId": run_id, "facets": parent}, outputs=outputs)
    fail = minimal_event(
        eventType="FAIL",
        eventTime="2026-11-01T03:05:00Z",
        run={
            "runId": run_id,
            "facets": {
                "errorMessage": {
                    "_producer": "p",
                    "_schemaURL": "s",
                    "message": "division by zero",
                    "programmingLanguage": "python",
                }
            },
        },
    )
    running = minimal_event(
        eventType="RUNNING", eventTime="2026-11-01T03:01:00Z", run={"runId": run_id}
    )
    body = post(api, "/api/v1/lineage/batch", [fail, start]).json()
    assert body["created"] == 2
    assert post(api, "/api/v1/lineage", running).status_code == 201  # late: no way back
    run = JobRun.objects.get(run_id=run_id)
    assert run.state == "FAIL"
    assert run.error_message == "division by zero"
    assert str(run.parent_run_id) == RUN_ID and run.parent_job_urn == job_urn("airflow", "dag")
    assert run.started_at.isoformat() == "2026-11-01T03:00:00+00:00"
    assert run.ended_at.isoformat() == "2026-11-01T03:05:00+00:00"
    assert sorted(FieldLineageEdge.objects.values_list("transformation", "subtype")) == [
        ("DIRECT", "IDENTITY"),
        ("INDIRECT", "FILTER"),
    ]


def test_sql_facet_gives_field_lineage_without_column_lineage(api):
    sql = "INSERT INTO orders (id, total) SELECT id, amount * 2 AS total FROM raw_orders"
    event = minimal_event(
        job={
            "namespace": "etl",
            "name": "load_orders",
            "facets": {"sql": {"_producer": "p", "_schemaURL": "s", "query": sql}},
        }
    )
    assert post(api, "/api/v1/lineage", event).status_code == 201
    edges = sorted(
        FieldLineageEdge.objects.values_list(
            "upstream__name", "downstream__name", "downstream__asset__name"
        )
    )
    assert edges == [("amount", "total", "orders"), ("id", "id", "orders")]


class OneTableHarvester(Harvester):
    """Reports shop.public.orders on postgres://db:5432 as a view with two columns."""

    kind = "onetable"

    def records(self):
        yield DatasetRecord(
            urn=dataset_urn("postgres://db:5432", "shop.public.orders"),
            namespace="postgres://db:5432",
            qualified_name="shop.public.orders",
            name="orders",
            platform="postgres",
            type="view",
            fields=[FieldRecord("id", "integer"), FieldRecord("total", "decimal")],
        )


def test_openlineage_dataset_merges_with_harvested_table(api, make_source, monkeypatch):
    monkeypatch.setitem(registry.HARVESTERS, "onetable", f"{__name__}.OneTableHarvester")
    run = run_harvest(make_source("warehouse", "onetable", {}))
    assert run.status == "succeeded", run.errors
    assert post(api, "/api/v1/lineage", minimal_event()).status_code == 201
    urn = dataset_urn("postgres://db:5432", "shop.public.orders")
    assert Asset.objects.filter(urn=urn).count() == 1
    asset = Asset.objects.get(urn=urn)
    assert asset.type == "view"  # the event said nothing about the type
    assert sorted(
        AssetSource.objects.filter(asset=asset).values_list("source__name", flat=True)
    ) == ["openlineage", "warehouse"]
    assert LineageEdge.objects.get(downstream=asset).upstream.urn == dataset_urn(
        "postgres://db:5432", "shop.public.raw_orders"
    )


def test_openlineage_source_kind_and_schema(api, db):
    token = Token.objects.get()
    token.user.is_staff = True  # sources belong to staff (or their owning team): issue 10
    token.user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    resp = api.post(
        "/api/v1/sources", {"name": "ol", "kind": "openlineage", "config": {}}, format="json"
    )
    assert resp.status_code == 201, resp.json()
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "post" in schema["paths"]["/api/v1/lineage"]
    assert "post" in schema["paths"]["/api/v1/lineage/batch"]
    assert "/api/v1/jobs/{urn}/runs" in schema["paths"]
    assert "openlineage.io/spec/2-0-2" in json.dumps(schema["paths"]["/api/v1/lineage"])


def test_quickstart_step(db, samples):
    from harvesters.kinds.openlineage.samples import import_sample_events

    rows = import_sample_events(samples, None)
    assert [
        (r["source"], r["status"], r["assets"], r["lineage_edges"], r["errors"]) for r in rows
    ] == [("openlineage", "succeeded", 34, 22, 0)]  # 8 tmp_* tables and 9 edges from SQL
    assert rows[0]["warnings"] == 1  # the columnLineage input that is not an event input


def test_replayed_events_skip_no_op_writes_but_changes_land(api, events):
    post(api, "/api/v1/lineage/batch", events)
    edges, fields = LineageEdge.objects.count(), Field.objects.count()
    text = json.dumps(events)
    for run_id in {e["run"]["runId"] for e in events}:
        text = text.replace(run_id, str(uuid.uuid4()))
    replay = json.loads(text)
    changed = replay[0]["outputs"][0]["facets"]["schema"]["fields"]
    changed.append({"name": "price", "type": "DECIMAL(10,2)", "description": "Menu price."})
    body = post(api, "/api/v1/lineage/batch", replay).json()
    assert body["created"] == 26
    assert JobRun.objects.count() == 26
    assert (LineageEdge.objects.count(), Field.objects.count()) == (edges, fields + 1)
    price = Field.objects.get(asset__urn=dataset_urn(NS, "public.menus"), name="price")
    assert (price.data_type, price.native_type) == ("decimal", "DECIMAL(10,2)")
