"""parse_sql_lineage: tables read/written and column lineage through CTEs, joins, aliases,
set operations and subqueries; real dbt SQL from jaffle_shop; bad SQL never raises."""

import json

import pytest

from harvesters.sqlparsing.lineage import ColumnSource, parse_sql_lineage


def src(table: str, column: str) -> ColumnSource:
    return ColumnSource(table, column)


@pytest.fixture
def jaffle(samples):
    """(manifest nodes, sqlglot schema from catalog.json) of the real jaffle_shop build."""
    target = samples / "jaffle_shop" / "target"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    schema: dict = {}
    for node in json.loads((target / "catalog.json").read_text())["nodes"].values():
        meta = node["metadata"]
        schema.setdefault(meta["database"], {}).setdefault(meta["schema"], {})[meta["name"]] = {
            name: col["type"] for name, col in node["columns"].items()
        }
    return nodes, schema


def test_jaffle_customers_model(jaffle):
    nodes, schema = jaffle
    sql = nodes["model.jaffle_shop.customers"]["compiled_code"]
    result = parse_sql_lineage(sql, "duckdb", "jaffle_shop", "main", schema=schema)
    assert result.errors == [] and result.outputs == []
    assert result.inputs == [
        "jaffle_shop.main.stg_customers",
        "jaffle_shop.main.stg_orders",
        "jaffle_shop.main.stg_payments",
    ]
    assert list(result.columns) == [
        "customer_id", "first_name", "last_name", "first_order", "most_recent_order",
        "number_of_orders", "customer_lifetime_value",
    ]  # fmt: skip
    assert result.columns["customer_lifetime_value"] == [
        src("jaffle_shop.main.stg_payments", "amount")
    ]
    assert result.columns["first_order"] == [src("jaffle_shop.main.stg_orders", "order_date")]
    assert result.columns["customer_id"] == [src("jaffle_shop.main.stg_customers", "customer_id")]


def test_jaffle_customers_without_schema_still_finds_amount(jaffle):
    nodes, _ = jaffle
    sql = nodes["model.jaffle_shop.customers"]["compiled_code"]
    result = parse_sql_lineage(sql, "duckdb", "jaffle_shop", "main")
    assert (
        src("jaffle_shop.main.stg_payments", "amount") in result.columns["customer_lifetime_value"]
    )
    assert result.columns["number_of_orders"] == [src("jaffle_shop.main.stg_orders", "order_id")]


def test_case_conditions_are_not_direct(jaffle):
    nodes, _ = jaffle
    sql = nodes["model.jaffle_shop.orders"]["compiled_code"]
    result = parse_sql_lineage(sql, "duckdb", "jaffle_shop", "main")
    # sum(case when payment_method = 'credit_card' then amount else 0 end)
    assert result.columns["credit_card_amount"] == [src("jaffle_shop.main.stg_payments", "amount")]


def test_ctes_joins_and_aliases():
    sql = """
        with o as (select id as order_id, cust, total from sales.orders),
             big as (select * from o where total > 100)
        select c.name as customer, b.total * 1.2 as gross, upper(c.city) city
        from big b join crm.customers c on c.id = b.cust
    """
    result = parse_sql_lineage(sql, "postgres", "shop", "public")
    assert result.inputs == ["shop.sales.orders", "shop.crm.customers"]
    assert result.columns == {
        "customer": [src("shop.crm.customers", "name")],
        "gross": [src("shop.sales.orders", "total")],
        "city": [src("shop.crm.customers", "city")],
    }


def test_select_star_expands_with_schema_only():
    schema = {"db": {"s": {"t": {"a": "int", "b": "text"}}}}
    with_schema = parse_sql_lineage("select * from s.t", "duckdb", "db", "s", schema=schema)
    assert with_schema.columns == {"a": [src("db.s.t", "a")], "b": [src("db.s.t", "b")]}
    assert with_schema.errors == []
    without = parse_sql_lineage("select * from s.t", "duckdb", "db", "s")
    assert without.inputs == ["db.s.t"] and without.columns == {}
    assert without.errors == ["cannot expand * over db.s.t without their schema"]


def test_schema_spelling_is_kept_for_case_insensitive_engines():
    schema = {"Chinook": {"main": {"Album": {"AlbumId": "INTEGER", "Title": "NVARCHAR"}}}}
    result = parse_sql_lineage("select * from album", "sqlite", "Chinook", "main", schema)
    assert result.inputs == ["Chinook.main.Album"]
    assert result.columns == {
        "AlbumId": [src("Chinook.main.Album", "AlbumId")],
        "Title": [src("Chinook.main.Album", "Title")],
    }


def test_insert_select_outputs_and_column_list():
    sql = "insert into mart.daily (day, n) select cast(ts as date), count(id) from raw.events"
    result = parse_sql_lineage(sql, "postgres", "wh", "public")
    assert result.outputs == ["wh.mart.daily"]
    assert result.inputs == ["wh.raw.events"]
    assert result.columns == {
        "day": [src("wh.raw.events", "ts")],
        "n": [src("wh.raw.events", "id")],
    }


def test_create_table_as_and_view_outputs():
    result = parse_sql_lineage(
        "create table a.x as select k from a.y; create view a.v (kk) as select k from a.x",
        "duckdb",
        "db",
        "main",
    )
    assert result.outputs == ["db.a.x", "db.a.v"]
    assert result.inputs == ["db.a.y", "db.a.x"]
    assert result.columns == {"k": [src("db.a.y", "k")], "kk": [src("db.a.x", "k")]}


def test_merge_reads_source_writes_target():
    sql = "merge into dw.t using stage.s on t.id = s.id when matched then update set v = s.v"
    result = parse_sql_lineage(sql, "snowflake")
    assert result.outputs == ["dw.t"] and result.inputs == ["stage.s"]


def test_union_and_scalar_subquery():
    sql = """
        select id, (select max(v) from w where w.k = u.id) as top from (
            select a as id from t1 union all select b from t2) u
    """
    result = parse_sql_lineage(sql)
    assert sorted(result.inputs) == ["t1", "t2", "w"]
    assert result.columns["id"] == [src("t1", "a"), src("t2", "b")]
    assert result.columns["top"] == [src("w", "v")]


def test_big_schema_does_not_slow_down():
    schema = {"db": {"s": {f"t{i}": {"a": "int"} for i in range(20000)}}}
    schema["db"]["s"]["real"] = {"x": "int", "y": "int"}
    result = parse_sql_lineage("select * from real", "duckdb", "db", "s", schema)
    assert result.columns == {"x": [src("db.s.real", "x")], "y": [src("db.s.real", "y")]}


@pytest.mark.parametrize(
    "sql, message",
    [
        ("selct foo frm where", "could not parse"),
        ("select from where", "could not parse"),
        ("select a from t where exists select 1", "could not parse"),
        ("", "empty SQL"),
    ],
)
def test_garbage_sql_gives_errors_never_raises(sql, message):
    result = parse_sql_lineage(sql, "postgres")
    assert result.inputs == [] and result.outputs == [] and result.columns == {}
    assert len(result.errors) == 1 and result.errors[0].startswith(message)
