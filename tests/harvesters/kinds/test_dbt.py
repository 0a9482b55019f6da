"""The dbt harvester on the real jaffle_shop artifacts (dbt-core 1.10, manifest v12).

Broken inputs are modified copies of the real artifacts written into ``tmp_path``.
"""

import json
import shutil
from datetime import UTC, datetime

import pytest

from catalog.models import Asset, Field, Ownership, QualityResult
from lineage.models import FieldLineageEdge, LineageEdge

NS = "duckdb://jaffle_shop"
PREFIX = f"urn:mc:dataset:{NS}/jaffle_shop.main."
CUSTOMERS = PREFIX + "customers"


# jaffle_shop documents customers.total_order_amount, which its SQL never builds.
DOC_WARNING = {
    "item": "model.jaffle_shop.customers",
    "message": "documented column 'total_order_amount' is not in the relation "
    "(catalog.json); left out",
}


def urn(table: str) -> str:
    return PREFIX + table


def other_warnings(run) -> list[dict]:
    return [w for w in run.warnings if w != DOC_WARNING]


@pytest.fixture
def target(samples):
    return samples / "jaffle_shop" / "target"


@pytest.fixture
def copy_target(target, tmp_path):
    """Copy the artifacts to ``tmp_path/target``; ``edit(manifest_dict)`` may change the
    manifest before it is written. Returns the folder."""

    def make(edit=None):
        out = tmp_path / "target"
        out.mkdir(exist_ok=True)
        for name in ("catalog.json", "run_results.json"):
            shutil.copy(target / name, out / name)
        manifest = json.loads((target / "manifest.json").read_text())
        if edit:
            edit(manifest)
        (out / "manifest.json").write_text(json.dumps(manifest))
        return out

    return make


@pytest.fixture
def run_dbt(make_source, harvest):
    def run(config: dict, name: str = "jaffle-dbt"):
        from catalog.models import Source

        source = Source.objects.filter(name=name).first() or make_source(name, "dbt", config)
        return harvest(source)

    return run


def test_jaffle_shop_counts_and_assets(db, run_dbt, target):
    run = run_dbt({"target_dir": str(target)})
    assert run.status == "succeeded", run.errors
    assert run.warnings == [DOC_WARNING]
    assert run.counts["datasets"] == 8
    assert run.counts["jobs"] == 5
    assert run.counts["lineage_edges"] == 8
    assert run.counts["quality_results"] == 20
    datasets = Asset.objects.filter(kind="dataset")
    assert sorted(datasets.filter(type="view").values_list("name", flat=True)) == [
        "stg_customers",
        "stg_orders",
        "stg_payments",
    ]
    assert sorted(datasets.filter(type="table").values_list("name", flat=True)) == [
        "customers",
        "orders",
        "raw_customers",
        "raw_orders",
        "raw_payments",
    ]
    customers = Asset.objects.get(urn=CUSTOMERS)
    assert customers.namespace == NS and customers.platform == "duckdb"
    assert customers.qualified_name == "jaffle_shop.main.customers"
    assert customers.description.startswith("This table has basic information about a customer")
    assert customers.properties["dbt"] == {
        "unique_id": "model.jaffle_shop.customers",
        "resource_type": "model",
        "materialized": "table",
        "path": "models/customers.sql",
    }
    assert list(customers.fields.values_list("name", "native_type", "data_type")) == [
        ("customer_id", "INTEGER", "integer"),
        ("first_name", "VARCHAR", "string"),
        ("last_name", "VARCHAR", "string"),
        ("first_order", "DATE", "date"),
        ("most_recent_order", "DATE", "date"),
        ("number_of_orders", "BIGINT", "integer"),
        ("customer_lifetime_value", "DOUBLE", "float"),
    ]
    field = customers.fields.get(name="customer_id")
    assert field.description == "This is a unique identifier for a customer"
    seed = Asset.objects.get(urn=urn("raw_payments"))
    assert seed.properties["dbt"]["materialized"] == "seed"
    assert seed.fields.get(name="amount").native_type == "INTEGER"
    job = Asset.objects.get(urn="urn:mc:job:dbt://jaffle_shop/model.jaffle_shop.customers")
    assert job.type == "job" and job.platform == "dbt"
    assert "customer_payments" in job.properties["sql"]
    assert job.properties["dbt"]["last_run"]["status"] == "success"


def test_jaffle_shop_lineage_edges(db, run_dbt, target):
    run_dbt({"target_dir": str(target)})
    edges = {
        (e.upstream.name, e.downstream.name, e.job.qualified_name)
        for e in LineageEdge.objects.select_related("upstream", "downstream", "job")
    }
    assert edges == {
        ("raw_customers", "stg_customers", "model.jaffle_shop.stg_customers"),
        ("raw_orders", "stg_orders", "model.jaffle_shop.stg_orders"),
        ("raw_payments", "stg_payments", "model.jaffle_shop.stg_payments"),
        ("stg_orders", "orders", "model.jaffle_shop.orders"),
        ("stg_payments", "orders", "model.jaffle_shop.orders"),
        ("stg_customers", "customers", "model.jaffle_shop.customers"),
        ("stg_orders", "customers", "model.jaffle_shop.customers"),
        ("stg_payments", "customers", "model.jaffle_shop.customers"),
    }


def test_jaffle_shop_test_results(db, run_dbt, target):
    run_dbt({"target_dir": str(target)})
    assert QualityResult.objects.count() == 20
    assert set(QualityResult.objects.values_list("status", flat=True)) == {"pass"}
    assert QualityResult.objects.filter(asset__urn=urn("orders")).count() == 10
    rel = QualityResult.objects.get(
        name="relationships_orders_customer_id__customer_id__ref_customers_"
    )
    assert rel.asset.urn == urn("orders")
    assert rel.field_name == "customer_id" and rel.check_type == "relationships"
    assert rel.executed_at == datetime(2026, 11, 21, 19, 11, 15, 300604, tzinfo=UTC)
    assert rel.details["unique_id"].startswith("test.jaffle_shop.relationships_orders")
    assert rel.origin == "jaffle-dbt"


def test_field_lineage_chain(db, run_dbt, target, client):
    run = run_dbt({"target_dir": str(target)})
    assert run.counts["field_lineage_edges"] > 0
    chain = FieldLineageEdge.objects.filter(
        downstream__asset__urn=CUSTOMERS, downstream__name="customer_lifetime_value"
    )
    assert {(e.upstream.asset.name, e.upstream.name) for e in chain} == {("stg_payments", "amount")}
    up = FieldLineageEdge.objects.get(
        downstream__asset__urn=urn("stg_payments"), downstream__name="amount"
    )
    assert (up.upstream.asset.urn, up.upstream.name) == (urn("raw_payments"), "amount")
    assert up.job.qualified_name == "model.jaffle_shop.stg_payments"
    # renamed column: stg_payments.payment_id <- raw_payments.id
    renamed = FieldLineageEdge.objects.get(
        downstream__asset__urn=urn("stg_payments"), downstream__name="payment_id"
    )
    assert renamed.upstream.name == "id"
    resp = client.get(
        "/api/v1/column-lineage",
        {
            "urn": CUSTOMERS,
            "field": "customer_lifetime_value",
            "direction": "upstream",
            "depth": "3",
        },
    )
    assert resp.status_code == 200
    nodes = [(n["urn"], n["field"], n["depth"]) for n in resp.json()["nodes"]]
    assert nodes == [
        (CUSTOMERS, "customer_lifetime_value", 0),
        (urn("stg_payments"), "amount", 1),
        (urn("raw_payments"), "amount", 2),
    ]


def test_reharvest_is_idempotent(db, run_dbt, target):
    def snapshot():
        return (
            Asset.objects.count(),
            Field.objects.count(),
            LineageEdge.objects.count(),
            FieldLineageEdge.objects.count(),
            QualityResult.objects.count(),
            Ownership.objects.count(),
        )

    first = run_dbt({"target_dir": str(target)})
    before = snapshot()
    second = run_dbt({"target_dir": str(target)})
    assert second.status == "succeeded", second.errors
    assert snapshot() == before
    assert before[0] == 13  # 8 datasets + 5 jobs
    assert second.counts["datasets"] == first.counts["datasets"] == 8
    assert second.removed_count == 0


def test_truncated_manifest_fails_and_writes_nothing(db, run_dbt, target, tmp_path):
    out = tmp_path / "target"
    out.mkdir()
    text = (target / "manifest.json").read_text()
    (out / "manifest.json").write_text(text[: len(text) // 2])
    run = run_dbt({"target_dir": str(out)})
    assert run.status == "failed"
    message = run.errors[0]["message"]
    assert str(out / "manifest.json") in message
    assert "not valid JSON" in message and "line 1 column" in message
    assert Asset.objects.count() == 0 and QualityResult.objects.count() == 0


def test_non_json_manifest_names_the_file(db, run_dbt, tmp_path):
    manifest = tmp_path / "my_manifest.json"
    manifest.write_text("<html>not a manifest</html>")
    run = run_dbt({"manifest_path": str(manifest)})
    assert run.status == "failed"
    assert run.errors[0]["message"] == (
        f"{manifest}: not valid JSON: Expecting value at line 1 column 1 (char 0)"
    )
    assert Asset.objects.count() == 0


def test_missing_manifest_and_unknown_key(db, run_dbt, tmp_path, target):
    run = run_dbt({"target_dir": str(tmp_path)}, name="empty")
    assert run.status == "failed"
    assert f"manifest not found: {tmp_path / 'manifest.json'}" in run.errors[0]["message"]
    run = run_dbt({"target_dir": str(target), "namepsace": "x"}, name="typo")
    assert run.status == "failed"
    assert "unknown key 'namepsace'" in run.errors[0]["message"]
    run = run_dbt({}, name="nothing")
    assert (
        run.status == "failed"
        and "set 'target_dir' or 'manifest_path'" in (run.errors[0]["message"])
    )


def test_missing_catalog_and_broken_run_results_are_warnings(db, run_dbt, copy_target):
    out = copy_target()
    (out / "catalog.json").unlink()
    (out / "run_results.json").write_text('{"results": [')
    run = run_dbt({"target_dir": str(out)})
    assert run.status == "succeeded", run.errors
    warned = {w["item"]: w["message"] for w in run.warnings}
    assert warned["catalog.json"].startswith(f"not found at {out / 'catalog.json'}")
    assert str(out / "run_results.json") in warned["run_results.json"]
    assert "test results are left out" in warned["run_results.json"]
    assert run.counts["datasets"] == 8 and run.counts["lineage_edges"] == 8
    assert QualityResult.objects.count() == 0
    field = Field.objects.get(asset__urn=CUSTOMERS, name="customer_id")
    assert field.native_type == "" and field.description.startswith("This is a unique")


def test_node_missing_keys_is_a_per_item_error(db, run_dbt, copy_target):
    def edit(manifest):
        del manifest["nodes"]["model.jaffle_shop.stg_orders"]["schema"]

    run = run_dbt({"target_dir": str(copy_target(edit))})
    assert run.status == "partial"
    assert run.errors == [
        {"item": "model.jaffle_shop.stg_orders", "message": "missing key 'schema'"}
    ]
    assert run.counts["datasets"] == 7
    # only a stub (from the column lineage of orders/customers) stands for stg_orders
    stub = Asset.objects.get(urn=urn("stg_orders"))
    assert stub.description == "" and stub.properties == {}
    assert QualityResult.objects.filter(asset=stub).count() == 0
    skipped = [w["item"] for w in run.warnings if "not a harvested dataset" in w["message"]]
    assert len(skipped) == 3 and all("stg_orders" in item for item in skipped)
    assert Asset.objects.filter(urn=CUSTOMERS).exists()


def test_unparseable_compiled_sql_is_a_warning(db, run_dbt, copy_target):
    def edit(manifest):
        manifest["nodes"]["model.jaffle_shop.orders"]["compiled_code"] = "select ((( from"

    run = run_dbt({"target_dir": str(copy_target(edit))})
    assert run.status == "succeeded", run.errors
    warnings = other_warnings(run)
    assert [w["item"] for w in warnings] == ["model.jaffle_shop.orders"]
    assert "could not be parsed" in warnings[0]["message"]
    assert run.counts["lineage_edges"] == 8  # table lineage still from depends_on
    assert not FieldLineageEdge.objects.filter(downstream__asset__name="orders").exists()
    assert FieldLineageEdge.objects.filter(downstream__asset__name="customers").exists()


def test_exposure_owners_and_tags(db, run_dbt, copy_target):
    def edit(manifest):
        customers = manifest["nodes"]["model.jaffle_shop.customers"]
        customers["config"]["meta"] = {"owner": "ana@example.com"}
        customers["tags"] = ["finance"]
        customers["columns"]["first_name"]["tags"] = ["pii"]
        manifest["exposures"]["exposure.jaffle_shop.weekly"] = {
            "unique_id": "exposure.jaffle_shop.weekly",
            "name": "weekly",
            "label": "Weekly KPIs",
            "type": "dashboard",
            "resource_type": "exposure",
            "description": "Weekly revenue",
            "url": "https://bi.example.com/d/1",
            "owner": {"name": "BI team", "email": "bi@example.com"},
            "depends_on": {"nodes": ["model.jaffle_shop.customers", "model.jaffle_shop.orders"]},
        }

    run = run_dbt({"target_dir": str(copy_target(edit))})
    assert run.status == "succeeded", run.errors
    dash = Asset.objects.get(urn="urn:mc:dashboard:dbt://jaffle_shop/weekly")
    assert (dash.kind, dash.type, dash.name) == ("dashboard", "dashboard", "Weekly KPIs")
    assert dash.properties["url"] == "https://bi.example.com/d/1"
    ups = set(LineageEdge.objects.filter(downstream=dash).values_list("upstream__name", flat=True))
    assert ups == {"customers", "orders"}
    assert list(dash.ownerships.values_list("owner__name", "type")) == [
        ("bi@example.com", "business_owner")
    ]
    customers = Asset.objects.get(urn=CUSTOMERS)
    assert list(customers.ownerships.values_list("owner__name", flat=True)) == ["ana@example.com"]
    assert list(customers.tags.values_list("name", flat=True)) == ["finance"]
    assert customers.fields.get(name="first_name").tags == ["pii"]


def test_server_adapter_namespace(db, run_dbt, copy_target):
    def edit(manifest):
        manifest["metadata"]["adapter_type"] = "postgres"

    out = copy_target(edit)
    run = run_dbt({"target_dir": str(out)}, name="pg-default")
    assert [w["item"] for w in other_warnings(run)] == ["namespace"]
    assert "postgres://host:5432" in other_warnings(run)[0]["message"]
    assert Asset.objects.filter(
        urn="urn:mc:dataset:postgres://jaffle_shop/jaffle_shop.main.customers"
    ).exists()
    run = run_dbt({"target_dir": str(out), "namespace": "postgres://db:5432"}, name="pg-set")
    assert run.warnings == [DOC_WARNING]
    customers = Asset.objects.get(
        urn="urn:mc:dataset:postgres://db:5432/jaffle_shop.main.customers"
    )
    assert customers.platform == "postgres"


@pytest.mark.parametrize("order", [("sql", "dbt"), ("dbt", "sql")])
def test_converges_with_the_warehouse_harvest(
    db, run_dbt, make_source, harvest, samples, target, order
):
    duck = samples / "jaffle_shop" / "jaffle_shop.duckdb"
    sources = {
        "sql": make_source(
            "jaffle-warehouse", "sql", {"url": f"duckdb:///{duck}?access_mode=read_only"}
        ),
        "dbt": make_source("jaffle-dbt", "dbt", {"target_dir": str(target)}),
    }
    for kind in order:
        run = harvest(sources[kind])
        assert run.status == "succeeded", (kind, run.errors)
    assert Asset.objects.filter(kind="dataset").count() == 8
    customers = Asset.objects.get(urn=CUSTOMERS)
    assert customers.provenance.count() == 2
    assert customers.description.startswith("This table has basic information")
    assert customers.row_count == 100
    assert customers.properties["dbt"]["materialized"] == "table"
    fields = list(customers.fields.values_list("name", "native_type", "data_type", "description"))
    assert len(fields) == 7
    assert fields[0] == (
        "customer_id",
        "INTEGER",
        "integer",
        "This is a unique identifier for a customer",
    )
    assert fields[-1][:3] == ("customer_lifetime_value", "DOUBLE", "float")
    stg = Asset.objects.get(urn=urn("stg_payments"))
    assert stg.type == "view" and stg.provenance.count() == 2


def add_source_and_snapshot(manifest: dict) -> None:
    """Add to the jaffle manifest a dbt source ``crm.accounts`` (a Fivetran-loaded table
    ``jaffle_shop.crm.accounts_raw``) and a snapshot of it (schema ``snapshots``), shaped
    as dbt-core 1.10 writes them (manifest v12)."""
    manifest["sources"]["source.jaffle_shop.crm.accounts"] = {
        "database": "jaffle_shop",
        "schema": "crm",
        "name": "accounts",
        "resource_type": "source",
        "package_name": "jaffle_shop",
        "path": "models/sources.yml",
        "original_file_path": "models/sources.yml",
        "unique_id": "source.jaffle_shop.crm.accounts",
        "fqn": ["jaffle_shop", "crm", "accounts"],
        "source_name": "crm",
        "source_description": "The CRM, replicated nightly.",
        "loader": "fivetran",
        "identifier": "accounts_raw",
        "description": "",
        "columns": {
            "id": {"name": "id", "description": "Account id", "data_type": "integer"},
            "name": {"name": "name", "description": "", "data_type": "varchar", "tags": ["pii"]},
        },
        "meta": {"owner": "crm-team"},
        "tags": ["crm"],
        "config": {"enabled": True, "meta": {}, "tags": []},
        "relation_name": '"jaffle_shop"."crm"."accounts_raw"',
    }
    manifest["nodes"]["snapshot.jaffle_shop.accounts_snapshot"] = {
        "database": "jaffle_shop",
        "schema": "snapshots",
        "name": "accounts_snapshot",
        "resource_type": "snapshot",
        "package_name": "jaffle_shop",
        "path": "accounts_snapshot.sql",
        "original_file_path": "snapshots/accounts_snapshot.sql",
        "unique_id": "snapshot.jaffle_shop.accounts_snapshot",
        "alias": "accounts_snapshot",
        "config": {"materialized": "snapshot", "tags": ["history"], "meta": {}},
        "tags": ["history"],
        "description": "Accounts with their history (SCD type 2).",
        "columns": {},
        "meta": {},
        "depends_on": {"macros": [], "nodes": ["source.jaffle_shop.crm.accounts"]},
        "compiled_code": 'select id, name as account_name from "jaffle_shop"."crm"."accounts_raw"',
    }


def test_sources_and_snapshots_with_lineage(db, run_dbt, copy_target):
    run = run_dbt({"target_dir": str(copy_target(add_source_and_snapshot))})
    assert run.status == "succeeded", run.errors
    assert (run.counts["datasets"], run.counts["jobs"]) == (10, 6)
    source = Asset.objects.get(urn=f"urn:mc:dataset:{NS}/jaffle_shop.crm.accounts_raw")
    assert (source.name, source.type, source.platform) == ("accounts_raw", "table", "duckdb")
    assert source.description == "The CRM, replicated nightly."
    assert source.properties["dbt"] == {
        "unique_id": "source.jaffle_shop.crm.accounts",
        "resource_type": "source",
        "materialized": "source",
        "path": "models/sources.yml",
        "source_name": "crm",
        "loader": "fivetran",
    }
    assert list(source.tags.values_list("name", flat=True)) == ["crm"]
    assert list(source.ownerships.values_list("owner__name", flat=True)) == ["crm-team"]
    assert list(source.fields.values_list("name", "native_type", "description")) == [
        ("id", "integer", "Account id"),
        ("name", "varchar", ""),
    ]
    assert source.fields.get(name="name").tags == ["pii"]
    snap_urn = f"urn:mc:dataset:{NS}/jaffle_shop.snapshots.accounts_snapshot"
    snapshot = Asset.objects.get(urn=snap_urn)
    assert snapshot.type == "table" and snapshot.properties["dbt"]["materialized"] == "snapshot"
    assert snapshot.description == "Accounts with their history (SCD type 2)."
    job = Asset.objects.get(
        urn="urn:mc:job:dbt://jaffle_shop/snapshot.jaffle_shop.accounts_snapshot"
    )
    assert job.properties["dbt"]["resource_type"] == "snapshot"
    assert job.description == "dbt snapshot build of accounts_snapshot"
    edge = LineageEdge.objects.get(downstream=snapshot)
    assert (edge.upstream_id, edge.job_id) == (source.id, job.id)
    field_edges = {
        (e.upstream.asset_id, e.upstream.name, e.downstream.name, e.job_id)
        for e in FieldLineageEdge.objects.filter(downstream__asset=snapshot).select_related(
            "upstream", "downstream"
        )
    }
    assert field_edges == {
        (source.id, "id", "id", job.id),
        (source.id, "name", "account_name", job.id),
    }


def test_unterminated_string_error_reads_once_at(db, run_dbt, target, tmp_path):
    out = tmp_path / "target"
    out.mkdir()
    text = (target / "manifest.json").read_text()
    cut = text.index('"dbt_schema_version": "') + len('"dbt_schema_version": "') + 5
    (out / "manifest.json").write_text(text[:cut])  # ends inside a string
    run = run_dbt({"target_dir": str(out)})
    assert run.status == "failed"
    message = run.errors[0]["message"]
    start = text.index('"https://schemas.getdbt.com')
    line_col = f"line {text[:start].count(chr(10)) + 1} column"
    assert message.startswith(
        f"{out / 'manifest.json'}: not valid JSON: Unterminated string starting at {line_col}"
    ), message
    assert "at at" not in message
