"""The ``sql`` harvester end to end on real databases: Chinook (SQLite and PostgreSQL),
jaffle_shop (DuckDB) and small SQLite/DuckDB files built at test time."""

import sqlite3

import duckdb
import pytest

from catalog.models import Asset, AssetSource, Field
from catalog.urns import dataset_urn
from lineage.models import FieldLineageEdge, LineageEdge
from tests.mariadb_chinook import ensure_chinook as ensure_mariadb_chinook
from tests.pg_chinook import ensure_chinook

CHINOOK_NS = "sqlite://Chinook_Sqlite"
JAFFLE_NS = "duckdb://jaffle_shop"
PG_NS = "postgres://127.0.0.1:5432"


def jaffle(name: str) -> str:
    return dataset_urn(JAFFLE_NS, f"jaffle_shop.main.{name}")


def active(namespace: str):
    return Asset.objects.filter(namespace=namespace, removed=False)


@pytest.fixture
def chinook_url(samples) -> str:
    return f"sqlite:///{samples / 'chinook' / 'Chinook_Sqlite.sqlite'}"


@pytest.fixture
def jaffle_url(samples) -> str:
    return f"duckdb:///{samples / 'jaffle_shop' / 'jaffle_shop.duckdb'}?access_mode=read_only"


def make_sqlite(path, tables: list[str], views: dict[str, str] | None = None) -> str:
    """A SQLite file with ``tables`` (id, name, parent_id → first table) and ``views``."""
    conn = sqlite3.connect(path)
    for i, table in enumerate(tables):
        fk = f", parent_id INTEGER REFERENCES {tables[0]}(id)" if i else ""
        conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL{fk})")
        conn.executemany(
            f"INSERT INTO {table} (id, name) VALUES (?, ?)", [(n, f"row {n}") for n in range(i + 1)]
        )
    for name, sql in (views or {}).items():
        conn.execute(f"CREATE VIEW {name} AS {sql}")
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_chinook_sqlite(make_source, harvest, chinook_url):
    run = harvest(make_source("chinook", "sql", {"url": chinook_url}))
    assert run.status == "succeeded", run.errors
    assert run.counts["datasets"] == 11 and run.counts["fields"] == 64
    assets = active(CHINOOK_NS)
    assert assets.count() == 11
    assert set(assets.values_list("type", flat=True)) == {"table"}
    fields = Field.objects.filter(asset__namespace=CHINOOK_NS)
    assert fields.count() == 64
    assert fields.exclude(fk_target_urn="").count() == 11
    track = Asset.objects.get(
        urn="urn:mc:dataset:sqlite://Chinook_Sqlite/Chinook_Sqlite.main.Track"
    )
    assert (track.qualified_name, track.name, track.platform) == (
        "Chinook_Sqlite.main.Track",
        "Track",
        "sqlite",
    )
    assert track.row_count == 3503
    assert track.properties["primary_key"] == ["TrackId"]
    album_id = track.fields.get(name="AlbumId")
    assert album_id.fk_target_urn == dataset_urn(CHINOOK_NS, "Chinook_Sqlite.main.Album")
    assert album_id.fk_target_field == "AlbumId"
    unit_price = track.fields.get(name="UnitPrice")
    assert (unit_price.data_type, unit_price.native_type, unit_price.nullable) == (
        "decimal",
        "NUMERIC(10, 2)",
        False,
    )
    assert track.fields.get(name="TrackId").is_primary_key
    assert list(track.fields.order_by("ordinal").values_list("name", flat=True))[:3] == [
        "TrackId",
        "Name",
        "AlbumId",
    ]
    counts = dict(assets.values_list("name", "row_count"))
    assert counts["InvoiceLine"] == 2240 and counts["PlaylistTrack"] == 8715


def test_chinook_postgres(make_source, harvest, samples):
    url = ensure_chinook(samples / "chinook" / "Chinook_PostgreSql.sql")
    run = harvest(make_source("chinook-pg", "sql", {"url": url}))
    assert run.status == "succeeded", run.errors
    assets = active(PG_NS)
    assert assets.count() == 11
    assert Field.objects.filter(asset__namespace=PG_NS).count() == 64
    assert Field.objects.filter(asset__namespace=PG_NS).exclude(fk_target_urn="").count() == 11
    track = Asset.objects.get(urn="urn:mc:dataset:postgres://127.0.0.1:5432/chinook.public.track")
    assert (track.platform, track.row_count) == ("postgres", 3503)
    album_id = track.fields.get(name="album_id")
    assert album_id.fk_target_urn == dataset_urn(PG_NS, "chinook.public.album")
    assert track.fields.get(name="unit_price").data_type == "decimal"


def test_jaffle_duckdb_tables_views_and_lineage(make_source, harvest, jaffle_url, client):
    run = harvest(make_source("jaffle", "sql", {"url": jaffle_url}))
    assert run.status == "succeeded", run.errors
    assert run.warnings == []
    types = dict(active(JAFFLE_NS).values_list("name", "type"))
    assert sorted(n for n, t in types.items() if t == "table") == [
        "customers",
        "orders",
        "raw_customers",
        "raw_orders",
        "raw_payments",
    ]
    assert sorted(n for n, t in types.items() if t == "view") == [
        "stg_customers",
        "stg_orders",
        "stg_payments",
    ]
    stg = Asset.objects.get(urn=jaffle("stg_payments"))
    assert "main.raw_payments" in stg.properties["view_definition"]
    assert stg.platform == "duckdb" and stg.row_count is None
    assert Asset.objects.get(urn=jaffle("raw_payments")).row_count == 113
    edges = {(e.upstream.name, e.downstream.name) for e in LineageEdge.objects.all()}
    assert edges == {
        ("raw_customers", "stg_customers"),
        ("raw_orders", "stg_orders"),
        ("raw_payments", "stg_payments"),
    }
    resp = client.get("/api/v1/lineage", {"urn": jaffle("stg_payments"), "direction": "upstream"})
    assert resp.status_code == 200
    edges = resp.json()["edges"]
    assert [(e["source"], e["target"], e["job"]) for e in edges] == [
        (jaffle("raw_payments"), jaffle("stg_payments"), None)
    ]
    assert edges[0]["sources"] == ["jaffle"] and not edges[0]["manual"]
    field_edges = {
        (e.upstream.asset.name, e.upstream.name, e.downstream.asset.name, e.downstream.name)
        for e in FieldLineageEdge.objects.select_related("upstream__asset", "downstream__asset")
    }
    assert ("raw_payments", "amount", "stg_payments", "amount") in field_edges
    assert ("raw_payments", "id", "stg_payments", "payment_id") in field_edges
    assert ("raw_orders", "user_id", "stg_orders", "customer_id") in field_edges
    assert len(field_edges) == 11  # 3 + 4 + 4 view columns, each from one raw column


def test_reharvest_is_idempotent(make_source, harvest, jaffle_url):
    source = make_source("jaffle", "sql", {"url": jaffle_url})
    first = harvest(source)
    sizes = (
        Asset.objects.count(),
        Field.objects.count(),
        LineageEdge.objects.count(),
        FieldLineageEdge.objects.count(),
        AssetSource.objects.count(),
    )
    second = harvest(source)
    assert second.status == "succeeded", second.errors
    assert (
        Asset.objects.count(),
        Field.objects.count(),
        LineageEdge.objects.count(),
        FieldLineageEdge.objects.count(),
        AssetSource.objects.count(),
    ) == sizes
    assert sizes == (8, 38, 3, 11, 8)  # 27 table + 11 view columns
    for key in ("datasets", "fields", "lineage_edges", "field_lineage_edges"):
        assert second.counts[key] == first.counts[key]


def test_stale_removal_and_fail_safe(make_source, harvest, tmp_path):
    path = tmp_path / "shop.db"
    tables = ["t0", "t1", "t2", "t3", "t4", "t5"]
    source = make_source("shop", "sql", {"url": make_sqlite(path, tables)})
    assert harvest(source).counts["datasets"] == 6
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE t5")  # 1 of 6: under the 20% fail-safe
    conn.commit()
    run = harvest(source)
    assert run.status == "succeeded" and run.removed_count == 1
    assert Asset.objects.get(urn=dataset_urn("sqlite://shop", "shop.main.t5")).removed
    assert active("sqlite://shop").count() == 5
    conn.execute("DROP TABLE t4")
    conn.execute("DROP TABLE t3")  # 2 of 5 = 40%: the fail-safe keeps them
    conn.commit()
    conn.close()
    run = harvest(source)
    assert run.status == "partial" and run.removed_count == 0
    assert "fail-safe" in run.warnings[-1]["message"]
    assert active("sqlite://shop").count() == 5


def test_unreachable_database_fails_with_named_error(make_source, harvest, tmp_path):
    missing = tmp_path / "nope.db"
    run = harvest(make_source("gone", "sql", {"url": f"sqlite:///{missing}"}))
    assert run.status == "failed"
    assert f"cannot connect to sqlite:///{missing}" in run.errors[0]["message"]
    assert not missing.exists()  # SQLite was not allowed to create an empty file
    run = harvest(
        make_source(
            "down",
            "sql",
            {
                "url": "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/chinook",
                "connect_timeout": 2,
            },
        )
    )
    assert run.status == "failed"
    message = run.errors[0]["message"]
    assert "cannot connect to postgresql+psycopg://postgres:***@127.0.0.1:1/chinook" in message
    assert "s3cret" not in message
    assert Asset.objects.count() == 0


def test_unknown_config_key_is_named(make_source, harvest, chinook_url):
    run = harvest(make_source("typo", "sql", {"url": chinook_url, "include_view": False}))
    assert run.status == "failed"
    assert "unknown key 'include_view'" in run.errors[0]["message"]


def test_unparseable_view_warns_and_rest_is_harvested(make_source, harvest, tmp_path):
    path = tmp_path / "lake.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE events (id INTEGER, tags VARCHAR[])")
    conn.execute("CREATE VIEW ok_view AS SELECT id AS event_id FROM events")
    # DuckDB stores list comprehensions as ``(lambda x: ...)``, which sqlglot cannot parse.
    conn.execute("CREATE VIEW lambda_view AS SELECT [t || '!' FOR t IN tags] AS loud FROM events")
    conn.close()
    run = harvest(make_source("lake", "sql", {"url": f"duckdb:///{path}"}))
    assert run.status == "succeeded", run.errors
    assert [w["item"] for w in run.warnings] == ["main.lambda_view"]
    assert "could not parse" in run.warnings[0]["message"]
    assert active("duckdb://lake").count() == 3
    edges = {(e.upstream.name, e.downstream.name) for e in LineageEdge.objects.all()}
    assert edges == {("events", "ok_view")}
    assert FieldLineageEdge.objects.get().downstream.name == "event_id"


def test_broken_view_is_an_item_error_and_rest_is_harvested(make_source, harvest, tmp_path):
    path = tmp_path / "shop.db"
    url = make_sqlite(
        path,
        ["orders", "gone"],
        {
            "recent": "SELECT id, name AS label FROM orders WHERE id > 0",
            "broken": "SELECT id FROM gone",
        },
    )
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE gone")  # the view now points at nothing
    conn.commit()
    conn.close()
    run = harvest(make_source("shop", "sql", {"url": url, "include_schemas": ["main"]}))
    assert run.status == "partial"
    assert [e["item"] for e in run.errors] == ["main.broken"]
    assert "no such table" in run.errors[0]["message"]
    assert sorted(active("sqlite://shop").values_list("name", flat=True)) == ["orders", "recent"]
    field_edges = {(e.upstream.name, e.downstream.name) for e in FieldLineageEdge.objects.all()}
    assert field_edges == {("id", "id"), ("name", "label")}


def test_schema_filters_and_options(make_source, harvest, tmp_path):
    url = make_sqlite(tmp_path / "f.db", ["a", "b"], {"v": "SELECT * FROM a"})
    run = harvest(make_source("f1", "sql", {"url": url, "exclude_schemas": ["ma*"]}))
    assert run.counts.get("datasets", 0) == 0 and not active("sqlite://f").exists()
    run = harvest(
        make_source("f2", "sql", {"url": url, "include_views": False, "row_counts": False})
    )
    assert run.status == "succeeded", run.errors
    assert sorted(active("sqlite://f").values_list("name", "row_count")) == [
        ("a", None),
        ("b", None),
    ]


def test_urns_converge_with_dbt(make_source, harvest, jaffle_url, samples):
    dbt = harvest(
        make_source("dbt", "dbt", {"target_dir": str(samples / "jaffle_shop" / "target")})
    )
    assert dbt.status in ("succeeded", "partial"), dbt.errors
    before = Asset.objects.filter(namespace=JAFFLE_NS).count()
    run = harvest(make_source("jaffle", "sql", {"url": jaffle_url}))
    assert run.status == "succeeded", run.errors
    assert Asset.objects.filter(namespace=JAFFLE_NS).count() == before == 8
    customers = Asset.objects.get(urn=jaffle("customers"))
    assert customers.row_count == 100
    assert set(customers.provenance.values_list("source__name", flat=True)) == {"dbt", "jaffle"}


def test_table_view_and_column_comments_duckdb(make_source, harvest, tmp_path):
    path = tmp_path / "notes.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE orders (id INTEGER, amount DECIMAL(10, 2), note VARCHAR)")
    conn.execute("CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100")
    conn.execute("COMMENT ON TABLE orders IS 'One row per order.'")
    conn.execute("COMMENT ON COLUMN orders.amount IS 'Order total in EUR.'")
    conn.execute("COMMENT ON VIEW big_orders IS 'Orders over 100 EUR.'")
    conn.close()
    run = harvest(make_source("notes", "sql", {"url": f"duckdb:///{path}"}))
    assert run.status == "succeeded", run.errors
    orders = Asset.objects.get(urn=dataset_urn("duckdb://notes", "notes.main.orders"))
    assert orders.description == "One row per order."
    assert list(orders.fields.order_by("ordinal").values_list("name", "description")) == [
        ("id", ""),
        ("amount", "Order total in EUR."),
        ("note", ""),
    ]
    view = Asset.objects.get(urn=dataset_urn("duckdb://notes", "notes.main.big_orders"))
    assert (view.type, view.description) == ("view", "Orders over 100 EUR.")


def test_table_and_column_comments_postgres(make_source, harvest):
    import uuid

    import psycopg

    from tests.pg_chinook import SERVER

    name = f"mesh_comments_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", connect_timeout=5, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(f"{SERVER}/{name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE customer (id integer PRIMARY KEY, email text)")
            conn.execute("COMMENT ON TABLE customer IS 'People who ordered at least once.'")
            conn.execute("COMMENT ON COLUMN customer.email IS 'Login e-mail, unique.'")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        run = harvest(make_source("comments", "sql", {"url": url}))
        assert run.status == "succeeded", run.errors
        customer = Asset.objects.get(urn=dataset_urn(PG_NS, f"{name}.public.customer"))
        assert customer.description == "People who ordered at least once."
        assert dict(customer.fields.values_list("name", "description")) == {
            "id": "",
            "email": "Login e-mail, unique.",
        }
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_chinook_mariadb(make_source, harvest, samples):
    """Live against MariaDB (services/mariadb.sh): the same exact counts as on SQLite and
    PostgreSQL; MySQL tables are named ``<database>.<table>``."""
    url = ensure_mariadb_chinook(samples / "chinook" / "Chinook_Sqlite.sqlite")
    run = harvest(make_source("chinook-mariadb", "sql", {"url": url}))
    assert run.status == "succeeded", run.errors
    assert run.warnings == []
    ns = "mysql://127.0.0.1:3306"
    assets = active(ns)
    assert assets.count() == 11
    assert set(assets.values_list("platform", flat=True)) == {"mysql"}
    fields = Field.objects.filter(asset__namespace=ns)
    assert fields.count() == 64
    assert fields.exclude(fk_target_urn="").count() == 11
    track = Asset.objects.get(urn=dataset_urn(ns, "chinook.Track"))
    assert (track.qualified_name, track.name, track.row_count) == ("chinook.Track", "Track", 3503)
    album_id = track.fields.get(name="AlbumId")
    assert album_id.fk_target_urn == dataset_urn(ns, "chinook.Album")
    assert album_id.fk_target_field == "AlbumId"
    assert track.fields.get(name="TrackId").is_primary_key
    assert track.fields.get(name="UnitPrice").data_type == "decimal"
    counts = dict(assets.values_list("name", "row_count"))
    assert counts["InvoiceLine"] == 2240 and counts["PlaylistTrack"] == 8715
    assert harvest(make_source("chinook-mariadb-again", "sql", {"url": url})).status == "succeeded"


def test_sqlite_foreign_key_to_the_parents_primary_key(make_source, harvest, tmp_path):
    """``REFERENCES parent`` without columns points at the parent's primary key."""
    path = tmp_path / "fk.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE parent (pid INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent)")
    conn.commit()
    conn.close()
    run = harvest(make_source("fk", "sql", {"url": f"sqlite:///{path}"}))
    assert run.status == "succeeded", run.errors
    pid = Field.objects.get(asset__urn=dataset_urn("sqlite://fk", "fk.main.child"), name="pid")
    assert (pid.fk_target_urn, pid.fk_target_field) == (
        dataset_urn("sqlite://fk", "fk.main.parent"),
        "pid",
    )
