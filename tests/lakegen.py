"""Builds a real data lake at test time from the Chinook SQLite database and jaffle seeds.

Layout under ``root`` (what the lake harvester should find, 8 datasets)::

    invoices/BillingCountry=<c>/*.parquet   Hive-partitioned Parquet, 412 rows, 24 folders
    invoices/_SUCCESS                       bookkeeping file, ignored
    customers/part-{0,1,2}.csv              one CSV dataset of 59 rows in 3 files
    genres.jsonl                            a lone JSON-lines file, 25 rows
    tracks/                                 Delta table partitioned by MediaTypeId, 2 commits
    warehouse/chinook/employees/            Iceberg table (SQL catalog on SQLite), by City
    raw/raw_{customers,orders,payments}.csv jaffle seeds: 3 different schemas, 3 datasets
    notes.txt                               not data: skipped with a warning
"""

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def chinook_table(samples: Path, table: str) -> pa.Table:
    """Read one Chinook table into Arrow (column types inferred from the Python values)."""
    db = sqlite3.connect(samples / "chinook" / "Chinook_Sqlite.sqlite")
    try:
        cur = db.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        db.close()
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


def build_chinook_lake(root: Path, samples: Path, catalog_db: Path) -> dict:
    """Write the lake described in the module docstring; return the Iceberg catalog config."""
    root.mkdir(parents=True, exist_ok=True)
    invoices = chinook_table(samples, "Invoice")
    dates = [datetime.fromisoformat(d) for d in invoices.column("InvoiceDate").to_pylist()]
    invoices = invoices.set_column(
        invoices.schema.get_field_index("InvoiceDate"),
        "InvoiceDate",
        pa.array(dates, pa.timestamp("ms")),
    )
    pq.write_to_dataset(invoices, root / "invoices", partition_cols=["BillingCountry"])
    (root / "invoices" / "_SUCCESS").write_text("")

    customers = chinook_table(samples, "Customer")
    (root / "customers").mkdir()
    for i, start in enumerate((0, 20, 40)):
        pacsv.write_csv(customers.slice(start, 20), root / "customers" / f"part-{i}.csv")

    genres = chinook_table(samples, "Genre")
    with open(root / "genres.jsonl", "w") as fh:
        for row in genres.to_pylist():
            fh.write(json.dumps(row) + "\n")

    from deltalake import write_deltalake

    tracks = chinook_table(samples, "Track")
    write_deltalake(str(root / "tracks"), tracks.slice(0, 2000), partition_by=["MediaTypeId"])
    write_deltalake(
        str(root / "tracks"), tracks.slice(2000), mode="append", partition_by=["MediaTypeId"]
    )

    from pyiceberg.catalog import load_catalog

    config = {
        "name": "lake",
        "type": "sql",
        "uri": f"sqlite:///{catalog_db}",
        "warehouse": f"file://{root / 'warehouse'}",
    }
    catalog = load_catalog(config["name"], **{k: v for k, v in config.items() if k != "name"})
    catalog.create_namespace("chinook")
    employees = chinook_table(samples, "Employee").select(
        ["EmployeeId", "LastName", "FirstName", "Title", "City", "Country"]
    )
    table = catalog.create_table("chinook.employees", schema=employees.schema)
    with table.update_spec() as spec:
        spec.add_identity("City")
    table.append(employees)

    (root / "raw").mkdir()
    for seed in ("raw_customers", "raw_orders", "raw_payments"):
        data = (samples / "jaffle_shop" / "seeds" / f"{seed}.csv").read_bytes()
        (root / "raw" / f"{seed}.csv").write_bytes(data)
    (root / "notes.txt").write_text("not data\n")
    return config
