"""Push API for any harvester (issue 13, part 6): ``POST /api/v1/assets/bulk`` upserts
datasets with fields, owners, tags and lineage, deletes by URN, under a named source
with stale removal, per-item results, token scope ``ingest``."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Asset, AssetSource, Field, HarvestRun, Ownership, Source
from identity.models import ApiToken
from lineage.models import FieldLineageEdge, LineageEdge

NS = "postgres://db:5432"


def urn(table: str) -> str:
    return f"urn:mc:dataset:{NS}/shop.public.{table}"


def client_with(scopes: list[str], staff: bool = False) -> APIClient:
    user = User.objects.create_user(f"pusher-{'-'.join(scopes)}-{staff}", is_staff=staff)
    _, key = ApiToken.issue(user, "t", scopes, timezone.now() + timedelta(days=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(db) -> APIClient:
    return client_with(["ingest"])


def push(client, items, source="crm", complete=False, ndjson=False):
    query = f"?source={source}" + ("&complete=true" if complete else "")
    if ndjson:
        body = "\n".join(json.dumps(i) for i in items) + "\n"
        return client.post(f"/api/v1/assets/bulk{query}", body,
                           content_type="application/x-ndjson")  # fmt: skip
    return client.post(f"/api/v1/assets/bulk{query}", json.dumps(items),
                       content_type="application/json")  # fmt: skip


ORDERS = {
    "urn": urn("orders"),
    "description": "One row per order",
    "fields": [
        {"name": "id", "data_type": "integer", "native_type": "INT4", "is_primary_key": True},
        {"name": "customer_id", "data_type": "integer", "nullable": False},
        {"name": "total", "data_type": "decimal"},
    ],
    "owners": [{"name": "ana@example.com", "type": "business_owner"}],
    "tags": ["gold", "sales"],
    "upstreams": [
        {
            "urn": urn("raw_orders"),
            "job": "urn:mc:job:airflow://prod/load_orders",
            "columns": [
                {"field": "id", "upstream_field": "order_id", "subtype": "IDENTITY"},
                {"field": "total", "upstream_field": "amount", "subtype": "AGGREGATION"},
                {"field": "id", "upstream_field": "status", "transformation": "INDIRECT",
                 "subtype": "FILTER"},
            ],
        }
    ],
}  # fmt: skip
RAW = {"urn": urn("raw_orders"), "fields": [{"name": "order_id"}, {"name": "amount"},
                                            {"name": "status"}]}  # fmt: skip


def test_push_upserts_datasets_fields_owners_tags_and_lineage(api):
    resp = push(api, [ORDERS, RAW])
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert (body["received"], body["created"], body["invalid"]) == (2, 2, 0)
    assert [r["status"] for r in body["results"]] == ["created", "created"]
    orders = Asset.objects.get(urn=urn("orders"))
    assert orders.description == "One row per order" and orders.name == "orders"
    assert orders.platform == "postgres" and orders.qualified_name == "shop.public.orders"
    assert list(orders.fields.values_list("name", "data_type", "is_primary_key")) == [
        ("id", "integer", True), ("customer_id", "integer", False), ("total", "decimal", False)
    ]  # fmt: skip
    assert sorted(orders.tags.values_list("name", flat=True)) == ["gold", "sales"]
    ownership = Ownership.objects.get(asset=orders)
    assert (ownership.owner.name, ownership.type) == ("ana@example.com", "business_owner")
    source = Source.objects.get(name="crm")
    assert source.kind == "push"
    edge = LineageEdge.objects.get(downstream=orders)
    assert edge.upstream.urn == urn("raw_orders") and edge.job.urn.endswith("load_orders")
    assert edge.origin == source
    columns = set(
        FieldLineageEdge.objects.filter(downstream__asset=orders).values_list(
            "upstream__name", "downstream__name", "transformation", "subtype"
        )
    )
    assert columns == {
        ("order_id", "id", "DIRECT", "IDENTITY"),
        ("amount", "total", "DIRECT", "AGGREGATION"),
        ("status", "id", "INDIRECT", "FILTER"),
    }
    run = HarvestRun.objects.get(id=body["run"])
    assert run.source == source and run.status == "succeeded"
    assert run.counts["datasets"] == 2


def test_push_is_idempotent_and_reports_updates(api):
    assert push(api, [ORDERS, RAW]).status_code == 200
    counts = (Asset.objects.count(), Field.objects.count(), LineageEdge.objects.count(),
              FieldLineageEdge.objects.count(), Ownership.objects.count())  # fmt: skip
    resp = push(api, [ORDERS, RAW], ndjson=True)
    assert resp.status_code == 200, resp.json()
    assert [r["status"] for r in resp.json()["results"]] == ["updated", "updated"]
    assert counts == (Asset.objects.count(), Field.objects.count(), LineageEdge.objects.count(),
                      FieldLineageEdge.objects.count(), Ownership.objects.count())  # fmt: skip


def test_one_bad_item_never_aborts_the_rest(api):
    bad_field = {"urn": urn("x"), "fields": [{"name": ""}]}
    resp = push(api, [ORDERS, bad_field, {"urn": "orders"}, 7, {"urn": urn("y"), "colour": 1},
                      {"op": "delete", "urn": urn("zzz"), "fields": []}, RAW])  # fmt: skip
    assert resp.status_code == 207
    body = resp.json()
    assert body["created"] == 2 and body["invalid"] == 5
    results = body["results"]
    assert results[1]["errors"][0]["path"] == "$[1].fields[0].name"
    assert results[2]["errors"][0]["path"] == "$[2].urn"
    assert "Mesh Catalog URN" in results[2]["errors"][0]["message"]
    assert results[3]["errors"][0]["message"].startswith("an item must be a JSON object")
    assert results[4]["errors"] == [{"path": "$[4].colour", "message": "unknown key"}]
    assert results[5]["errors"][0]["path"] == "$[5].fields"
    assert Asset.objects.filter(urn=urn("orders")).exists()
    assert not Asset.objects.filter(urn__in=[urn("x"), urn("y")]).exists()
    assert HarvestRun.objects.get(id=body["run"]).status == "partial"


def test_bad_requests_are_clear_400s(api):
    resp = api.post("/api/v1/assets/bulk", "[]", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "$.source"
    resp = api.post("/api/v1/assets/bulk?source=crm", "{nope", content_type="application/json")
    assert resp.status_code == 400 and "not valid JSON" in resp.json()["errors"][0]["message"]
    Source.objects.create(name="pg", kind="sql", config={})
    resp = push(api, [RAW], source="pg")
    assert resp.status_code == 400 and "is a sql source" in resp.json()["errors"][0]["message"]
    resp = push(api, [RAW], source="not a slug")
    assert resp.status_code == 400
    resp = push(api, [{"urn": urn("a\x00b")}])
    assert resp.status_code == 400
    assert "NUL" in resp.json()["results"][0]["errors"][0]["message"]
    lines = json.dumps(RAW) + "\n{broken\n"
    resp = api.post("/api/v1/assets/bulk?source=crm", lines, content_type="application/x-ndjson")
    assert resp.status_code == 207
    assert resp.json()["results"][1]["errors"][0]["message"].startswith("line 2 is not valid")


def test_envelope_body_and_explicit_delete(api):
    push(api, [ORDERS, RAW])
    body = {"source": "crm", "items": [{"op": "delete", "urn": urn("orders")},
                                       {"op": "delete", "urn": urn("never")}]}  # fmt: skip
    resp = api.post("/api/v1/assets/bulk", json.dumps(body), content_type="application/json")
    assert resp.status_code == 200, resp.json()
    assert [r["status"] for r in resp.json()["results"]] == ["deleted", "not_found"]
    orders = Asset.objects.get(urn=urn("orders"))
    assert orders.removed and orders.removed_at is not None
    assert AssetSource.objects.get(asset=orders).removed
    assert not Asset.objects.get(urn=urn("raw_orders")).removed
    # pushed again: back
    assert push(api, [ORDERS]).json()["results"][0]["status"] == "updated"
    assert not Asset.objects.get(urn=urn("orders")).removed


def test_delete_keeps_an_asset_another_source_still_reports(api):
    push(api, [RAW], source="crm")
    push(api, [RAW], source="erp")
    assert push(api, [{"op": "delete", "urn": urn("raw_orders")}], source="crm").status_code == 200
    assert not Asset.objects.get(urn=urn("raw_orders")).removed


def test_complete_push_removes_what_is_missing_behind_the_fail_safe(api, settings):
    settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
    tables = [{"urn": urn(f"t{i}")} for i in range(4)]
    assert push(api, tables, complete=True).json()["removed"] == 0
    # one of four missing: removed
    body = push(api, tables[:3], complete=True).json()
    assert body["removed"] == 1 and body["run_status"] == "succeeded"
    assert Asset.objects.get(urn=urn("t3")).removed
    # an invalid item: no stale removal (it may have been one of ours)
    body = push(api, [tables[0], {"urn": "bad"}], complete=True).json()
    assert body["removed"] == 0 and body["run_status"] == "partial"
    assert "had errors" in body["warnings"][0]["message"]
    # two of three missing is more than the fail-safe share: nothing removed
    body = push(api, tables[:1], complete=True).json()
    assert body["removed"] == 0 and "fail-safe" in body["warnings"][0]["message"]
    assert not Asset.objects.get(urn=urn("t1")).removed
    # an empty complete push never empties a source
    body = push(api, [], complete=True).json()
    assert body["removed"] == 0 and body["run_status"] == "partial"
    # not complete: nothing is removed
    assert push(api, tables[:1]).json()["removed"] == 0
    assert not Asset.objects.get(urn=urn("t2")).removed


def test_complete_push_drops_stale_edges_of_the_source(api):
    push(api, [ORDERS, RAW], complete=True)
    changed = {**ORDERS, "upstreams": []}
    push(api, [changed, RAW], complete=True)
    # ended, kept as history (valid_to set)
    edges = LineageEdge.objects.filter(downstream__urn=urn("orders"))
    assert edges.exists() and not edges.filter(valid_to__isnull=True).exists()


def test_scopes_and_owning_team(db):
    assert push(client_with(["write"]), [RAW]).status_code == 403
    assert push(client_with(["read"]), [RAW]).status_code == 403
    assert push(APIClient(), [RAW]).status_code in (401, 403)
    Source.objects.create(name="team-src", kind="push", config={}, owner_team="finance")
    resp = push(client_with(["ingest"]), [RAW], source="team-src")
    assert resp.status_code == 403 and "finance" in resp.json()["detail"]
    # an admin-scoped staff token may push anywhere
    assert push(client_with(["admin"], staff=True), [RAW], source="team-src").status_code == 200


def test_push_is_in_the_openapi_schema(api):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/assets/bulk"]["post"]
    assert "application/x-ndjson" in post["requestBody"]["content"]
    assert {"200", "207", "400", "413"} <= set(post["responses"])
    assert {p["name"] for p in post["parameters"]} >= {"source", "complete"}


def test_changes_are_merged_and_empty_values_never_erase(api):
    first = {
        **RAW,
        "description": "raw orders",
        "properties": {"a": 1},
        "fields": [
            {"name": "order_id", "data_type": "integer", "description": "id", "tags": ["pk"]},
            {"name": "amount", "data_type": "decimal"},
        ],
    }
    assert push(api, [first]).status_code == 200
    second = {
        "urn": RAW["urn"],
        "properties": {"b": 2},
        "row_count": 7,
        "fields": [
            {"name": "order_id", "data_type": "bigint"},
            {"name": "amount", "description": "in cents", "nullable": False},
        ],
    }
    assert push(api, [second]).json()["results"][0]["status"] == "updated"
    asset = Asset.objects.get(urn=RAW["urn"])
    assert asset.description == "raw orders" and asset.row_count == 7
    assert asset.properties == {"a": 1, "b": 2}
    fields = {f.name: f for f in asset.fields.all()}
    assert (fields["order_id"].data_type, fields["order_id"].description) == ("bigint", "id")
    assert fields["order_id"].tags == ["pk"]
    assert (fields["amount"].data_type, fields["amount"].description) == ("decimal", "in cents")
    assert fields["amount"].nullable is False
    seen = asset.last_seen
    # the same push again changes no value but moves last_seen
    assert push(api, [second]).status_code == 200
    asset.refresh_from_db()
    assert asset.last_seen > seen and asset.properties == {"a": 1, "b": 2}
    # fields_complete drops what is no longer listed
    third = {"urn": RAW["urn"], "fields": [{"name": "amount"}], "fields_complete": True}
    push(api, [third])
    assert list(asset.fields.values_list("name", flat=True)) == ["amount"]


def test_a_re_push_links_column_edges_to_stored_and_new_columns(api):
    """The second push adds a column and two column edges: the edges land on the stored
    rows (ids reused from the field upsert of the same request) and on the new one."""
    assert push(api, [ORDERS, RAW]).status_code == 200
    stored = dict(Field.objects.filter(asset__urn=urn("orders")).values_list("name", "id"))
    upstream = ORDERS["upstreams"][0]
    orders = {
        **ORDERS,
        "fields": [*ORDERS["fields"], {"name": "state", "data_type": "string"}],
        "upstreams": [{**upstream, "columns": [
            *upstream["columns"],
            {"field": "state", "upstream_field": "status"},
            {"field": "customer_id", "upstream_field": "order_id"},
        ]}],
    }  # fmt: skip
    resp = push(api, [orders, RAW])
    assert resp.status_code == 200, resp.json()
    edges = set(
        FieldLineageEdge.objects.filter(downstream__asset__urn=urn("orders")).values_list(
            "upstream__name", "downstream__name", "downstream_id"
        )
    )
    state = Field.objects.get(asset__urn=urn("orders"), name="state").id
    assert ("order_id", "customer_id", stored["customer_id"]) in edges
    assert ("status", "state", state) in edges
    assert ("order_id", "id", stored["id"]) in edges
    assert len(edges) == 5
    raw = dict(Field.objects.filter(asset__urn=urn("raw_orders")).values_list("name", "id"))
    upstream_ids = set(
        FieldLineageEdge.objects.filter(downstream__asset__urn=urn("orders")).values_list(
            "upstream_id", flat=True
        )
    )
    assert upstream_ids == {raw["order_id"], raw["amount"], raw["status"]}  # no stub columns
    assert Field.objects.filter(asset__urn=urn("raw_orders")).count() == 3
    again = push(api, [orders, RAW])  # idempotent: nothing new
    assert again.status_code == 200
    assert FieldLineageEdge.objects.filter(downstream__asset__urn=urn("orders")).count() == 5
