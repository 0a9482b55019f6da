"""Quickstart step: build a small lake from the jaffle_shop seeds and harvest it.

The lake lives in ``settings.MESH_SAMPLE_LAKE_DIR`` (default ``<MESH_VAR_DIR>-samples/
sample_lake``: outside ``MESH_VAR_DIR``, which is never harvestable, and inside the default
``MESH_SOURCE_PATH_ROOTS``) and is rebuilt only when missing (idempotent)::

    orders/status=<status>/*.parquet   Hive-partitioned Parquet (raw_orders)
    payments/<method>.csv              a folder of same-schema CSVs (raw_payments)
    customers/                         a Delta table (raw_customers)

It is harvested as the ``lake`` source named ``sample-lake``.
"""

import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings

from catalog.models import Source
from harvesters.runner import run_harvest
from harvesters.samples import run_row

SOURCE_NAME = "sample-lake"


def build_sample_lake(seeds: Path, target: Path) -> bool:
    """Write the sample lake under ``target`` from the CSV ``seeds``; False if already there.

    Built in a temporary sibling folder and renamed into place, so a crash never leaves a
    half-built lake behind.
    """
    if (target / ".complete").exists():
        return False
    from deltalake import write_deltalake

    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    orders = pacsv.read_csv(seeds / "raw_orders.csv")
    pq.write_to_dataset(
        orders, tmp / "orders", partition_cols=["status"], basename_template="part-{i}.parquet"
    )
    payments = pacsv.read_csv(seeds / "raw_payments.csv")
    (tmp / "payments").mkdir()
    for method in sorted(set(payments.column("payment_method").to_pylist())):
        part = payments.filter(pc.equal(payments.column("payment_method"), pa.scalar(method)))
        pacsv.write_csv(part, tmp / "payments" / f"{method}.csv")
    write_deltalake(str(tmp / "customers"), pacsv.read_csv(seeds / "raw_customers.csv"))
    (tmp / ".complete").write_text("built by harvesters.kinds.lake.samples\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return True


def harvest_sample_lake(samples_dir: Path, out) -> list[dict]:
    """Build (if needed) and harvest the sample lake; returns one quickstart summary row.

    ``samples_dir`` is ``settings.MESH_SAMPLES_DIR``; nothing is done (empty list) when
    its jaffle_shop seeds are missing. ``out`` receives one progress line.
    """
    seeds = Path(samples_dir) / "jaffle_shop" / "seeds"
    if not (seeds / "raw_orders.csv").exists():
        return []
    target = Path(settings.MESH_SAMPLE_LAKE_DIR)
    if build_sample_lake(seeds, target) and out is not None:
        out.write(f"built sample lake in {target}\n")
    source, _ = Source.objects.update_or_create(
        name=SOURCE_NAME, defaults={"kind": "lake", "config": {"path": str(target)}}
    )
    started = time.monotonic()
    run = run_harvest(source)
    return [run_row(source, run, time.monotonic() - started)]
