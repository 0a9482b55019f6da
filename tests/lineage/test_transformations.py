"""Transformation types end to end (OpenLineage columnLineage facet → stored edges →
column-lineage API with subtypes → impact with or without INDIRECT edges) and Marquez
compatibility of the intake (times without offset, every spec version, unknown facets)."""

import uuid

import pytest

from catalog.urns import dataset_urn
from lineage.models import FieldLineageEdge, OpenLineageEvent
from tests.harvesters.kinds.test_dbt import CUSTOMERS, run_dbt, target  # noqa: F401 - fixtures
from tests.harvesters.kinds.test_openlineage import api, minimal_event, post  # noqa: F401 - fixture

NS = "postgres://db:5432"


def _column_lineage(fields: dict) -> dict:
    return {
        "columnLineage": {
            "_producer": "p",
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
            "fields": {
                out: {
                    "inputFields": [
                        {
                            "namespace": NS,
                            "name": table,
                            "field": column,
                            "transformations": [{"type": kind, "subtype": subtype}],
                        }
                        for table, column, kind, subtype in inputs
                    ]
                }
                for out, inputs in fields.items()
            },
        }
    }


def _job(api, name, inputs, output, fields):  # noqa: F811
    event = minimal_event(
        job={"namespace": "etl", "name": name},
        inputs=[{"namespace": NS, "name": i} for i in inputs],
        outputs=[{"namespace": NS, "name": output, "facets": _column_lineage(fields)}],
    )
    assert post(api, "/api/v1/lineage", event).status_code == 201


@pytest.fixture
def chain(api):  # noqa: F811
    """raw → orders (DIRECT values) → report (orders only filters it) and raw → copy."""
    _job(
        api, "load", ["s.raw"], "s.orders", {"amount": [("s.raw", "amount", "DIRECT", "IDENTITY")]}
    )
    _job(
        api,
        "report",
        ["s.orders", "s.calendar"],
        "s.report",
        {
            "day": [
                ("s.calendar", "day", "DIRECT", "IDENTITY"),
                ("s.orders", "amount", "INDIRECT", "FILTER"),
            ]
        },
    )
    return api


def test_column_lineage_api_returns_subtypes(chain):
    body = chain.get(
        "/api/v1/column-lineage",
        {"urn": dataset_urn(NS, "s.report"), "field": "day", "direction": "upstream"},
    ).json()
    edges = {
        (e["source"]["field"], e["transformation"], tuple(e["subtypes"])) for e in body["edges"]
    }
    assert ("day", "DIRECT", ("IDENTITY",)) in edges
    assert ("amount", "INDIRECT", ("FILTER",)) in edges


def test_impact_includes_indirect_edges_unless_told_not_to(chain):
    urn = dataset_urn(NS, "s.raw")
    every = chain.get("/api/v1/impact", {"urn": urn}).json()
    assert dataset_urn(NS, "s.report") in {r["urn"] for r in every["results"]}
    direct = chain.get("/api/v1/impact", {"urn": urn, "indirect": "false"}).json()
    names = {r["urn"] for r in direct["results"]}
    assert dataset_urn(NS, "s.orders") in names
    assert dataset_urn(NS, "s.report") not in names
    bad = chain.get("/api/v1/impact", {"urn": urn, "indirect": "maybe"})
    assert bad.status_code == 400 and "indirect" in bad.json()


def test_event_time_without_offset_is_utc(api):  # noqa: F811
    event = minimal_event(eventTime="2026-11-01T03:00:00.123456")
    response = post(api, "/api/v1/lineage", event)
    assert response.status_code == 201, response.json()
    stored = OpenLineageEvent.objects.get()
    assert stored.event_time.isoformat() == "2026-11-01T03:00:00.123456+00:00"


SPEC_VERSIONS = [
    "1-0-0", "1-0-1", "1-0-2", "1-0-3", "1-0-4", "1-0-5", "1-0-6", "1-1-0",
    "2-0-0", "2-0-1", "2-0-2",
]  # fmt: skip


@pytest.mark.parametrize("version", SPEC_VERSIONS)
def test_every_spec_version_is_accepted_with_unknown_facets_kept(api, version):  # noqa: F811
    custom = {"_producer": "p", "_schemaURL": "https://example.com/MyFacet.json", "x": [1]}
    event = minimal_event(
        schemaURL=f"https://openlineage.io/spec/{version}/OpenLineage.json#/definitions/RunEvent",
        run={"runId": str(uuid.uuid4()), "facets": {"myCustom": custom}},
    )
    if version == "1-0-0":
        event.pop("schemaURL")  # optional in the first spec
    response = post(api, "/api/v1/lineage", event)
    assert response.status_code == 201, response.json()
    stored = OpenLineageEvent.objects.get()
    assert stored.payload["run"]["facets"]["myCustom"] == custom


def test_sql_parser_types_reach_dbt_style_records():
    from harvesters.sqlparsing.lineage import parse_sql_lineage

    result = parse_sql_lineage(
        "insert into m.t (total) select sum(amount) from s.p where status = 'ok'", "postgres"
    )
    kinds = {(e.source_column, e.transformation, e.subtype) for e in result.column_lineage}
    assert kinds == {("amount", "DIRECT", "AGGREGATION"), ("status", "INDIRECT", "FILTER")}
    assert [(s.column, s.subtype) for s in result.columns["total"]] == [("amount", "AGGREGATION")]


@pytest.mark.parametrize("indirect", [False, True])
def test_sql_facet_stores_indirect_edges_when_configured(api, settings, indirect):  # noqa: F811
    settings.MESH_SQL_INDIRECT_LINEAGE = indirect
    sql = (
        "INSERT INTO orders (id, total) SELECT id, sum(amount) FROM raw_orders WHERE ok GROUP BY id"
    )
    event = minimal_event(
        job={
            "namespace": "etl",
            "name": "load_orders",
            "facets": {"sql": {"_producer": "p", "_schemaURL": "s", "query": sql}},
        }
    )
    assert post(api, "/api/v1/lineage", event).status_code == 201
    edges = set(
        FieldLineageEdge.objects.values_list(
            "upstream__name", "downstream__name", "transformation", "subtype"
        )
    )
    direct = {("id", "id", "DIRECT", "IDENTITY"), ("amount", "total", "DIRECT", "AGGREGATION")}
    if not indirect:
        assert edges == direct
    else:
        assert (
            direct
            | {
                ("ok", "id", "INDIRECT", "FILTER"),
                ("ok", "total", "INDIRECT", "FILTER"),
                ("id", "id", "INDIRECT", "GROUP_BY"),
                ("id", "total", "INDIRECT", "GROUP_BY"),
            }
            == edges
        )


def test_dbt_harvest_stores_typed_edges_and_indirect_when_configured(run_dbt, target, settings):  # noqa: F811, E501
    run_dbt({"target_dir": str(target)})
    kinds = set(FieldLineageEdge.objects.values_list("transformation", "subtype"))
    assert kinds == {
        ("DIRECT", "IDENTITY"),
        ("DIRECT", "TRANSFORMATION"),
        ("DIRECT", "AGGREGATION"),
    }
    settings.MESH_SQL_INDIRECT_LINEAGE = True
    run_dbt({"target_dir": str(target)})
    clv = FieldLineageEdge.objects.filter(
        downstream__asset__urn=CUSTOMERS, downstream__name="customer_lifetime_value"
    )
    found = {(e.upstream.asset.name, e.upstream.name, e.transformation, e.subtype) for e in clv}
    assert ("stg_payments", "amount", "DIRECT", "AGGREGATION") in found
    assert ("stg_orders", "order_id", "INDIRECT", "JOIN") in found
