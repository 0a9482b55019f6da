"""The ``lake`` harvester against real lakes: Chinook/jaffle built at test time, and the
hostile Parquet files of ``lake_edge_cases``."""

import os
import shutil
from pathlib import Path

import pytest

from catalog.urns import dataset_urn
from tests.lakegen import build_chinook_lake

EDGE_GOOD = {
    # file: {field: (data_type, native_type)}, row count
    "alltypes_plain.parquet": (
        {
            "id": ("integer", "int32"),
            "bool_col": ("boolean", "bool"),
            "string_col": ("binary", "binary"),
            "timestamp_col": ("timestamp", "timestamp[ns] (INT96)"),
        },
        8,
    ),
    "hadoop_lz4_compressed.parquet": (
        {"c0": ("integer", "int64"), "c1": ("binary", "binary"), "v11": ("float", "double")},
        4,
    ),
    "int96_from_spark.parquet": ({"a": ("timestamp", "timestamp[ns] (INT96)")}, 6),
    "list_columns.parquet": (
        {
            "int64_list": ("array", "list<item: int64>"),
            "utf8_list": ("array", "list<item: string>"),
        },
        3,
    ),
    "nested_lists.snappy.parquet": (
        {
            "a": ("array", "list<element: list<element: list<element: string>>>"),
            "b": ("integer", "int32"),
        },
        3,
    ),
    "nested_maps.snappy.parquet": (
        {
            "a": ("map", "map<string, map<int32, bool ('value')> ('a')>"),
            "b": ("integer", "int32"),
            "c": ("float", "double"),
        },
        6,
    ),
    "nested_structs.rust.parquet": (
        {
            "roll_num": (
                "struct",
                "struct<min: int64 not null, max: "
                "int64 not null, mean: int64 not null, count: "
                "uint64 not null, sum: int64 not null, "
                "variance: int64 not null>",
            )
        },
        1,
    ),
    "null_list.parquet": ({"emptylist": ("array", "list<item: null>")}, 1),
    "nulls.snappy.parquet": ({"b_struct": ("struct", "struct<b_c_int: int32>")}, 8),
}
EDGE_BAD = {
    "datapage_v1-corrupt-checksum.parquet": "corrupt page checksum: could not verify page "
    "integrity, CRC checksum verification failed for page_ordinal 0",
    "encrypt_columns_and_footer.parquet.encrypted": "encrypted footer (Parquet modular "
    "encryption): the file cannot be read without its decryption keys",
    "nation.dict-malformed.parquet": "malformed dictionary page in column 'name': the column "
    "chunk starts with a dictionary page at byte 129 that its metadata does not declare (no "
    "dictionary page offset, no dictionary encoding in [])",
}


@pytest.fixture
def lake(tmp_path, samples):
    """A Chinook/jaffle lake in tmp_path; returns (lake root, source config)."""
    root = tmp_path / "lake"
    catalog = build_chinook_lake(root, samples, tmp_path / "iceberg.db")
    return root, {"path": str(root), "iceberg_catalog": catalog}


def urn(rel: str, source: str = "lake") -> str:
    """URN of the dataset at ``rel`` (relative to the lake root) of lake source ``source``."""
    return dataset_urn(f"lake://{source}", rel)


def fields_of(asset) -> list[tuple[str, str, str]]:
    return [(f.name, f.data_type, f.native_type) for f in asset.fields.order_by("ordinal")]


def tree_bytes(folder: Path, suffix: str) -> int:
    return sum(p.stat().st_size for p in folder.rglob(f"*{suffix}"))


def test_lake_datasets_schemas_partitions_counts(lake, make_source, harvest):
    from catalog.models import Asset

    root, config = lake
    run = harvest(make_source("lake", "lake", config))
    assert run.status == "succeeded", run.errors
    assert run.errors == []
    assert run.warnings == [
        {
            "item": f"file://{root}/notes.txt",
            "message": "skipped: not a Parquet, CSV or JSON-lines file",
        }
    ]
    assets = {a.qualified_name: a for a in Asset.objects.filter(removed=False)}
    expected = {
        "invoices": "parquet",
        "customers": "csv",
        "genres.jsonl": "json",
        "tracks": "delta",
        "warehouse/chinook/employees": "iceberg",
        "raw/raw_customers.csv": "csv",
        "raw/raw_orders.csv": "csv",
        "raw/raw_payments.csv": "csv",
    }
    assert {name: a.platform for name, a in assets.items()} == {k: v for k, v in expected.items()}
    # named relative to the lake root, never by the machine's absolute path (issue 9, item 10)
    assert all(a.type == "file" and a.namespace == "lake://lake" for a in assets.values())
    assert not any(str(root) in a.urn or str(root) in a.name for a in assets.values())

    inv = Asset.objects.get(urn=urn("invoices"))
    assert (inv.row_count, inv.size_bytes) == (412, tree_bytes(root / "invoices", ".parquet"))
    assert inv.properties["lake"]["file_count"] == 24
    assert inv.properties["lake"]["partition_columns"] == ["BillingCountry"]
    assert inv.properties["lake"]["location"] == f"file://{root}/invoices"
    assert inv.properties["lake"]["compression"] == ["snappy"]
    assert fields_of(inv) == [
        ("InvoiceId", "integer", "int64"),
        ("CustomerId", "integer", "int64"),
        ("InvoiceDate", "timestamp", "timestamp[ms]"),
        ("BillingAddress", "string", "string"),
        ("BillingCity", "string", "string"),
        ("BillingState", "string", "string"),
        ("BillingPostalCode", "string", "string"),
        ("Total", "float", "double"),
        ("BillingCountry", "string", "string (hive partition)"),
    ]

    cust = Asset.objects.get(urn=urn("customers"))
    assert (cust.row_count, cust.properties["lake"]["file_count"]) == (59, 3)
    assert [f[0] for f in fields_of(cust)] == [
        "CustomerId",
        "FirstName",
        "LastName",
        "Company",
        "Address",
        "City",
        "State",
        "Country",
        "PostalCode",
        "Phone",
        "Fax",
        "Email",
        "SupportRepId",
    ]
    assert fields_of(cust)[0] == ("CustomerId", "integer", "int64")

    genres = Asset.objects.get(urn=urn("genres.jsonl"))
    assert genres.row_count == 25
    assert fields_of(genres) == [("GenreId", "integer", "int64"), ("Name", "string", "string")]

    tracks = Asset.objects.get(urn=urn("tracks"))
    assert (tracks.row_count, tracks.size_bytes) == (3503, tree_bytes(root / "tracks", ".parquet"))
    assert tracks.properties["lake"]["partition_columns"] == ["MediaTypeId"]
    assert tracks.properties["lake"]["file_count"] == 7
    assert tracks.properties["delta"]["version"] == 1
    assert tracks.properties["lake"]["last_modified"].endswith("+00:00")
    assert fields_of(tracks)[:2] == [("TrackId", "integer", "long"), ("Name", "string", "string")]
    assert fields_of(tracks)[-1] == ("UnitPrice", "float", "double")

    emp = Asset.objects.get(urn=urn("warehouse/chinook/employees"))
    assert emp.row_count == 8
    assert emp.size_bytes == tree_bytes(root / "warehouse/chinook/employees/data", ".parquet")
    assert emp.properties["lake"]["partition_columns"] == ["City"]
    assert emp.properties["lake"]["file_count"] == 3
    assert emp.properties["iceberg"]["identifier"] == "chinook.employees"
    assert emp.properties["iceberg"]["partition_spec"] == ["identity(City)"]
    assert fields_of(emp)[0] == ("EmployeeId", "integer", "long")

    orders = Asset.objects.get(urn=urn("raw/raw_orders.csv"))
    assert orders.row_count == 99
    assert fields_of(orders) == [
        ("id", "integer", "int64"),
        ("user_id", "integer", "int64"),
        ("order_date", "date", "date32[day]"),
        ("status", "string", "string"),
    ]


def test_reharvest_is_idempotent_and_removes_vanished_folder(lake, make_source, harvest):
    from catalog.models import Asset, Field

    root, config = lake
    source = make_source("lake", "lake", config)
    first = harvest(source)
    counts = (Asset.objects.count(), Field.objects.count())
    second = harvest(source)
    assert second.status == "succeeded"
    assert (Asset.objects.count(), Field.objects.count()) == counts
    assert second.counts["datasets"] == first.counts["datasets"] == 8
    shutil.rmtree(root / "customers")
    third = harvest(source)
    assert third.status == "succeeded", third.warnings
    assert third.removed_count == 1
    assert Asset.objects.get(urn=urn("customers")).removed is True
    assert Asset.objects.filter(removed=False).count() == 7


def test_edge_cases_described_or_reported(samples, make_source, harvest):
    from catalog.models import Asset

    folder = samples / "lake_edge_cases"
    assert sorted(os.listdir(folder)) == sorted([*EDGE_GOOD, *EDGE_BAD])
    run = harvest(make_source("edge", "lake", {"path": str(folder)}))
    assert run.status == "partial"
    assert sorted((e["item"], e["message"]) for e in run.errors) == sorted(
        (f"file://{folder}/{name}", reason) for name, reason in EDGE_BAD.items()
    )
    assets = {a.qualified_name.rsplit("/", 1)[-1]: a for a in Asset.objects.all()}
    assert sorted(assets) == sorted(EDGE_GOOD)
    for name, (expected_fields, rows) in EDGE_GOOD.items():
        asset = assets[name]
        assert asset.row_count == rows, name
        assert asset.platform == "parquet" and asset.properties["lake"]["file_count"] == 1
        got = {f.name: (f.data_type, f.native_type) for f in asset.fields.all()}
        assert {k: got[k] for k in expected_fields} == expected_fields, name
    assert assets["hadoop_lz4_compressed.parquet"].properties["lake"]["compression"] == ["lz4"]
    assert assets["nested_structs.rust.parquet"].fields.count() == 36


def test_same_folder_different_schemas_are_not_merged(tmp_path, samples, make_source, harvest):
    from catalog.models import Asset

    for name in ("int96_from_spark.parquet", "list_columns.parquet"):
        shutil.copy(samples / "lake_edge_cases" / name, tmp_path / name)
    (tmp_path / "same").mkdir()
    for i in range(2):
        shutil.copy(
            samples / "lake_edge_cases" / "nulls.snappy.parquet",
            tmp_path / "same" / f"p{i}.parquet",
        )
    run = harvest(make_source("mixed", "lake", {"path": str(tmp_path)}))
    assert run.status == "succeeded", run.errors
    assert sorted(Asset.objects.values_list("qualified_name", "row_count")) == [
        ("int96_from_spark.parquet", 6),
        ("list_columns.parquet", 3),
        ("same", 16),
    ]


def test_config_errors_and_missing_path(tmp_path, make_source, harvest):
    bad = harvest(
        make_source("bad", "lake", {"path": str(tmp_path), "formats": ["xls"], "pathh": "x"})
    )
    assert bad.status == "failed"
    assert "unknown key 'pathh'" in bad.errors[0]["message"]
    assert "formats.0" in bad.errors[0]["message"]
    gone = harvest(make_source("gone", "lake", {"path": str(tmp_path / "nope")}))
    assert gone.status == "failed"
    assert gone.errors == [
        {
            "item": "source 'gone'",
            "message": f"lake path '{tmp_path / 'nope'}' is not a folder or does not exist",
        }
    ]


def test_formats_exclude_and_max_files(lake, make_source, harvest):
    from catalog.models import Asset

    root, config = lake
    only = harvest(
        make_source("only", "lake", {"path": str(root), "formats": ["csv"], "exclude": ["raw/*"]})
    )
    assert only.status == "succeeded"
    assert list(Asset.objects.values_list("qualified_name", flat=True)) == ["customers"]
    capped = harvest(make_source("capped", "lake", {"path": str(root / "raw"), "max_files": 2}))
    assert capped.status == "partial"
    assert capped.errors == [
        {
            "item": f"lake '{root / 'raw'}'",
            "message": "listing stopped at max_files=2; 1 more files were not examined",
        }
    ]


def test_quickstart_step_builds_and_harvests_sample_lake(samples, settings, tmp_path, db):
    from catalog.models import Asset
    from harvesters.kinds.lake.samples import harvest_sample_lake

    settings.MESH_SAMPLE_LAKE_DIR = tmp_path / "sample_lake"  # never in MESH_VAR_DIR
    rows = harvest_sample_lake(samples, None)
    again = harvest_sample_lake(samples, None)
    assert [r["source"] for r in rows] == ["sample-lake"]
    assert rows[0]["status"] == again[0]["status"] == "succeeded"
    assert rows[0]["assets"] == again[0]["assets"] == 3
    got = {
        a.qualified_name: (a.platform, a.row_count, a.properties["lake"]["partition_columns"])
        for a in Asset.objects.all()
    }
    assert got == {
        "orders": ("parquet", 99, ["status"]),
        "payments": ("csv", 113, []),
        "customers": ("delta", 100, []),
    }


def test_latin1_header_is_a_file_error_and_the_rest_is_harvested(
    tmp_path, samples, make_source, harvest
):
    from catalog.models import Asset

    seeds = samples / "jaffle_shop" / "seeds"
    (tmp_path / "customers.csv").write_bytes((seeds / "raw_customers.csv").read_bytes())
    (tmp_path / "tarifs.csv").write_bytes("Café,Prix\n1,2\n".encode("latin-1"))
    (tmp_path / "villes.jsonl").write_bytes('{"Société": 1}\n'.encode("latin-1"))
    run = harvest(make_source("latin1", "lake", {"path": str(tmp_path)}))
    assert run.status == "partial"
    assert [(e["item"], e["message"].split(" (")[0]) for e in run.errors] == [
        (f"file://{tmp_path}/tarifs.csv", "header is not valid UTF-8"),
        (f"file://{tmp_path}/villes.jsonl", "field names are not valid UTF-8"),
    ]
    assert run.errors[0]["message"] == (
        "header is not valid UTF-8 ('utf-8' codec can't decode byte 0xe9 in position 3: "
        "unexpected end of data)"
    )
    assert list(Asset.objects.values_list("qualified_name", "row_count")) == [
        ("customers.csv", 100)
    ]
    assert "stale removal" in [w["item"] for w in run.warnings]


def test_native_errors_are_one_line_without_rust_backtrace(
    tmp_path, samples, make_source, harvest, monkeypatch
):
    """deltalake appends a Rust backtrace to its messages when RUST_BACKTRACE is set;
    pyiceberg's validation errors span lines: run reports get one line each."""
    from deltalake import write_deltalake

    from tests.lakegen import chinook_table

    monkeypatch.setenv("RUST_BACKTRACE", "1")
    genres = chinook_table(samples, "Genre")
    write_deltalake(str(tmp_path / "genres"), genres)
    log = next((tmp_path / "genres" / "_delta_log").glob("*.json"))
    log.write_text(log.read_text()[:40])  # a truncated commit
    (tmp_path / "ice" / "metadata").mkdir(parents=True)
    (tmp_path / "ice" / "metadata" / "v1.metadata.json").write_text('{"format-version": 2, "x')
    run = harvest(make_source("broken", "lake", {"path": str(tmp_path)}))
    assert run.status == "partial"
    errors = {e["item"].rsplit("/", 1)[-1]: e["message"] for e in run.errors}
    assert sorted(errors) == ["genres", "ice"]
    for message in errors.values():
        assert "\n" not in message and "<unknown>" not in message, message
    assert errors["genres"].startswith("Delta table cannot be read: ")
    iceberg = next(m for k, m in errors.items() if k != "genres")
    assert iceberg.startswith("Iceberg metadata cannot be read: 1 validation error for ")
    from harvesters.kinds.lake.common import error_text

    backtrace = (
        "Kernel error: Json error: bad\n   0: <unknown>\n  12: start_thread\n"
        "             at ./nptl/pthread_create.c:442:8\n"
    )
    assert error_text(backtrace) == "Kernel error: Json error: bad"
    assert error_text("failed\n\nStack backtrace:\n   0: main") == "failed"


def test_urns_stay_when_the_lake_moves_and_differ_per_source(
    tmp_path, samples, make_source, harvest
):
    """Issue 9, item 10: names and URNs are relative to the source root, so moving the lake
    keeps them, and two sources over one folder never share a URN."""
    from catalog.models import Asset

    first = tmp_path / "first"
    (first / "raw").mkdir(parents=True)
    shutil.copy(samples / "jaffle_shop" / "seeds" / "raw_orders.csv", first / "raw" / "orders.csv")
    source = make_source("shop-lake", "lake", {"path": str(first)})
    assert harvest(source).status == "succeeded"
    asset = Asset.objects.get(removed=False)
    assert (asset.urn, asset.namespace, asset.qualified_name, asset.name) == (
        "urn:mc:dataset:lake://shop-lake/raw/orders.csv",
        "lake://shop-lake",
        "raw/orders.csv",
        "orders.csv",
    )
    moved = tmp_path / "elsewhere" / "lake"
    shutil.move(first, moved)
    source.config = {"path": str(moved)}
    source.save()
    assert harvest(source).status == "succeeded"
    assert list(Asset.objects.filter(removed=False).values_list("urn", flat=True)) == [asset.urn]
    assert Asset.objects.get(urn=asset.urn).properties["lake"]["location"] == (
        f"file://{moved}/raw/orders.csv"
    )
    other = make_source("shop-lake-copy", "lake", {"path": str(moved)})
    assert harvest(other).status == "succeeded"
    assert sorted(Asset.objects.filter(removed=False).values_list("urn", flat=True)) == [
        "urn:mc:dataset:lake://shop-lake-copy/raw/orders.csv",
        asset.urn,
    ]
