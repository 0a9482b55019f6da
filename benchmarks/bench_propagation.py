"""Benchmark: propagation of accepted classes along column lineage (issue 15).

Writes a synthetic column-lineage forest straight into a fresh database: ``--tables``
tables of ``--columns`` columns in chains of 5 layers (each column feeds the same column
of the next table, every fifth edge an AGGREGATION that stops propagation), accepts one
class on every column of the first layer, then times :func:`governance.propagation.propagate`
from scratch (every propagated row written) and again when nothing changed (``--runs``
times each; median, min, max seconds).

Usage::

    .venv/bin/python benchmarks/bench_propagation.py                     # SQLite
    .venv/bin/python benchmarks/bench_propagation.py --tables 500 --columns 20
    .venv/bin/python benchmarks/bench_propagation.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_gov_bench
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, fresh_database  # noqa: E402


def main() -> None:
    """Build the forest, time propagate()."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR / "propagation")
    args = parser.parse_args()
    fresh_database(args.database_url, args.workdir)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from catalog.models import Asset, Field, Source
    from governance.classification import data_classes
    from governance.models import ColumnClass
    from governance.propagation import propagate
    from lineage.models import FieldLineageEdge

    source = Source.objects.create(name="bench", kind="sql", config={})
    assets = Asset.objects.bulk_create(
        [
            Asset(
                urn=f"urn:mc:dataset:bench/t{i}",
                namespace="bench",
                name=f"t{i}",
                qualified_name=f"t{i}",
                platform="bench",
            )
            for i in range(args.tables)
        ]
    )
    Field.objects.bulk_create(
        [Field(asset=a, name=f"c{j}", ordinal=j) for a in assets for j in range(args.columns)],
        batch_size=5000,
    )
    ids = {(a, n): pk for pk, a, n in Field.objects.values_list("id", "asset_id", "name")}
    edges = []
    for i, a in enumerate(assets):
        if i % 5 == 4:
            continue  # the last layer of a chain of 5
        nxt = assets[i + 1] if i + 1 < len(assets) else None
        if nxt is None:
            continue
        for j in range(args.columns):
            edges.append(
                FieldLineageEdge(
                    key=f"e{i}-{j}",
                    upstream_id=ids[(a.pk, f"c{j}")],
                    downstream_id=ids[(nxt.pk, f"c{j}")],
                    origin=source,
                    subtype="AGGREGATION" if (i + j) % 5 == 3 else "IDENTITY",
                )
            )
    FieldLineageEdge.objects.bulk_create(edges, batch_size=5000)
    email = data_classes()["email"]
    ColumnClass.objects.bulk_create(
        [
            ColumnClass(
                asset=a, field_name=f"c{j}", data_class=email, status="accepted", method="manual"
            )
            for i, a in enumerate(assets)
            if i % 5 == 0
            for j in range(args.columns)
        ],
        batch_size=5000,
    )
    fresh, steady = [], []
    for _ in range(args.runs):
        ColumnClass.objects.exclude(propagated_from=None).delete()
        started = time.perf_counter()
        result = propagate()
        fresh.append(time.perf_counter() - started)
        started = time.perf_counter()
        propagate()
        steady.append(time.perf_counter() - started)
    columns = args.tables * args.columns
    print(
        f"{args.tables} tables x {args.columns} columns = {columns} columns, {len(edges)} field edges"
    )
    print(f"propagated rows: {result['classes']}")
    for label, times in (("from scratch", fresh), ("unchanged", steady)):
        print(
            f"{label:>13}: median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"
        )


if __name__ == "__main__":
    main()
