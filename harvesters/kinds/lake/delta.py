"""Delta Lake tables (a folder with ``_delta_log/``) read with the ``deltalake`` package.

Schema, version, partition columns and the last commit time come from the transaction
log (Delta protocol: https://github.com/delta-io/delta/blob/master/PROTOCOL.md); row
count, size and file count are summed from the table's current ``add`` actions (their
``numRecords`` statistics; row count is None if any file lacks them). No data is read.
"""

import json

import pyarrow as pa
from deltalake import DeltaTable

from harvesters.kinds.lake.arrowtypes import arrow_fields
from harvesters.kinds.lake.common import LakeFileError, TableInfo, error_text, iso_from_seconds


def delta_type_name(t) -> str:
    """Render a Delta schema JSON type as a native type string, e.g. ``array<long>``."""
    if isinstance(t, str):
        return t
    kind = t.get("type")
    if kind == "array":
        return f"array<{delta_type_name(t['elementType'])}>"
    if kind == "map":
        return f"map<{delta_type_name(t['keyType'])}, {delta_type_name(t['valueType'])}>"
    if kind == "struct":
        inner = ", ".join(f"{f['name']}: {delta_type_name(f['type'])}" for f in t["fields"])
        return f"struct<{inner}>"
    return str(kind)


def inspect_delta(uri: str, storage_options: dict | None = None) -> TableInfo:
    """Describe the Delta table at ``uri`` (a local path or ``s3://...`` URI).

    Raises LakeFileError naming the reason when the log cannot be read (one line: a
    Rust backtrace that deltalake appends under ``RUST_BACKTRACE`` is dropped).
    """
    try:
        dt = DeltaTable(uri, storage_options=storage_options or None)
        schema = pa.schema(dt.schema().to_arrow())
        delta_schema = json.loads(dt.schema().to_json())
        meta = dt.metadata()
        adds = pa.table(dt.get_add_actions(flatten=True))
        history = dt.history(1)
    except Exception as exc:  # deltalake raises its own TableNotFoundError/DeltaError
        raise LakeFileError(f"Delta table cannot be read: {error_text(exc)}") from None
    native = {f["name"]: delta_type_name(f["type"]) for f in delta_schema.get("fields", [])}
    records = (
        adds.column("num_records").to_pylist() if "num_records" in adds.column_names else [None]
    )
    rows = sum(records) if records and None not in records else None
    if not adds.num_rows:
        rows = 0
    size = sum(adds.column("size_bytes").to_pylist()) if adds.num_rows else 0
    committed = history[0].get("timestamp") if history else None
    protocol = dt.protocol()
    return TableInfo(
        location=uri,
        fields=arrow_fields(schema, native),
        rows=rows,
        size_bytes=size,
        file_count=adds.num_rows,
        partition_columns=list(meta.partition_columns),
        last_modified=iso_from_seconds(committed / 1000 if committed else None),
        props={
            "delta": {
                "version": dt.version(),
                "table_id": meta.id,
                "name": meta.name or "",
                "min_reader_version": protocol.min_reader_version,
                "min_writer_version": protocol.min_writer_version,
                "last_operation": history[0].get("operation", "") if history else "",
            }
        },
    )
