"""Lineage and impact rooted at a job, over the API, on the Marquez food_delivery sample."""

import json

import pytest

from catalog.urns import dataset_urn, job_urn
from harvesters.kinds.openlineage.ingest import ingest_events

NS = "food_delivery"
JOB = job_urn(NS, "etl_delivery_7_days")
INPUTS = ("orders_7_days", "customers", "order_status", "drivers", "restaurants")


def ds(table: str) -> str:
    return dataset_urn(NS, f"public.{table}")


@pytest.fixture
def food_delivery(db, samples):
    """The 26 demo events, ingested."""
    events = json.loads((samples / "openlineage" / "food_delivery.json").read_text())
    assert ingest_events(events).tally()["invalid"] == 0


def test_lineage_of_a_job_runs_through_its_inputs_and_outputs(client, food_delivery):
    resp = client.get("/api/v1/lineage", {"urn": JOB, "depth": "1"})
    assert resp.status_code == 200
    body = resp.json()
    assert {(n["urn"], n["depth"], n["direction"]) for n in body["nodes"]} == {
        (JOB, 0, "root"),
        *((ds(t), 1, "upstream") for t in INPUTS),
        (ds("delivery_7_days"), 1, "downstream"),
    }
    assert {(e["source"], e["target"], e["job"]) for e in body["edges"]} == {
        *((ds(t), JOB, None) for t in INPUTS),
        (JOB, ds("delivery_7_days"), None),
    }
    job_node = next(n for n in body["nodes"] if n["urn"] == JOB)
    assert (job_node["type"], job_node["name"]) == ("job", "etl_delivery_7_days")
    # further out: orders_7_days' own inputs upstream, and what delivery_7_days feeds
    wide = client.get("/api/v1/lineage", {"urn": JOB, "depth": "all"}).json()
    depth = {n["urn"]: (n["depth"], n["direction"]) for n in wide["nodes"]}
    assert depth[ds("menus")] == (2, "upstream")
    assert depth[ds("tmp_menus")] == (3, "upstream")  # parsed from etl_menus' sql facet
    assert depth[ds("top_delivery_times")] == (2, "downstream")
    assert depth[ds("popular_orders_day_of_week")] == (3, "downstream")
    up = client.get("/api/v1/lineage", {"urn": JOB, "direction": "upstream"}).json()
    assert {n["direction"] for n in up["nodes"]} == {"root", "upstream"}


def test_impact_of_a_job_is_its_outputs_and_their_downstream(client, food_delivery):
    body = client.get("/api/v1/impact", {"urn": JOB}).json()
    assert body["urn"] == JOB
    assert [(r["urn"], r["depth"]) for r in body["results"]] == [
        (ds("delivery_7_days"), 1),
        (ds("discounts"), 2),
        (ds("top_delivery_times"), 2),
        (ds("popular_orders_day_of_week"), 3),
    ]
    assert body["count"] == 4
    assert body["results"][-1]["path"] == [
        JOB,
        ds("delivery_7_days"),
        ds("top_delivery_times"),
        ds("popular_orders_day_of_week"),
    ]
    csv = client.get("/api/v1/impact", {"urn": JOB, "format": "csv"}).content.decode()
    assert len(csv.strip().splitlines()) == 5
    # a job that writes nothing has no impact (email_discounts only reads)
    none = client.get("/api/v1/impact", {"urn": job_urn(NS, "email_discounts")}).json()
    assert none["count"] == 0
