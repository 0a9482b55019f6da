"""Apache Iceberg tables, from a pyiceberg catalog or from a table folder's metadata.

Schema, partition spec and the current snapshot's summary (``total-records``,
``total-files-size``, ``total-data-files``; Iceberg table spec
https://iceberg.apache.org/spec/#snapshots) are read from table metadata; no data file
is opened. Error messages are one line (:func:`~harvesters.kinds.lake.common.error_text`: a
Rust backtrace appended under ``RUST_BACKTRACE`` is dropped). A catalog is configured as ``iceberg_catalog: {name, type, uri, warehouse,
...}`` and passed to ``pyiceberg.catalog.load_catalog(name, **rest)``, e.g. a SQL catalog
on SQLite: ``{"name": "lake", "type": "sql", "uri": "sqlite:////srv/cat.db",
"warehouse": "file:///srv/warehouse"}``.
"""

import re
from collections.abc import Iterator

from harvesters.kinds.lake.arrowtypes import arrow_fields
from harvesters.kinds.lake.common import LakeFileError, TableInfo, error_text, iso_from_seconds

_VERSION_RE = re.compile(r"^v?(\d+)")


def describe_table(table, catalog: str = "") -> TableInfo:
    """Describe a loaded ``pyiceberg.table.Table`` (or StaticTable).

    Raises LakeFileError when its schema cannot be converted.
    """
    try:
        schema = table.schema()
        arrow = schema.as_arrow()
    except Exception as exc:
        raise LakeFileError(f"Iceberg schema cannot be read: {error_text(exc)}") from None
    native = {f.name: str(f.field_type) for f in schema.fields}
    fields = arrow_fields(arrow, native)
    required = {f.name for f in schema.fields if f.required}
    for f in fields:
        f.nullable = f.name not in required
        doc = next((s.doc for s in schema.fields if s.name == f.name), None)
        f.description = doc or ""
    spec = table.spec()
    by_id = {f.field_id: f.name for f in schema.fields}
    partition_columns = [by_id.get(p.source_id, p.name) for p in spec.fields]
    snapshot = table.current_snapshot()
    summary = {}
    if snapshot is not None and snapshot.summary is not None:
        summary = dict(snapshot.summary.additional_properties)
        summary["operation"] = str(snapshot.summary.operation.value)

    def number(key: str) -> int | None:
        value = summary.get(key)
        return int(value) if value not in (None, "") else (0 if snapshot is None else None)

    updated = table.metadata.last_updated_ms
    return TableInfo(
        location=table.location(),
        fields=fields,
        rows=number("total-records"),
        size_bytes=number("total-files-size"),
        file_count=number("total-data-files"),
        partition_columns=partition_columns,
        last_modified=iso_from_seconds(updated / 1000 if updated else None),
        props={
            "iceberg": {
                "catalog": catalog,
                "identifier": ".".join(table.name()) if catalog else "",
                "format_version": table.metadata.format_version,
                "table_uuid": str(table.metadata.table_uuid),
                "snapshot_id": snapshot.snapshot_id if snapshot else None,
                "partition_spec": [
                    f"{p.transform}({by_id.get(p.source_id, p.source_id)})" for p in spec.fields
                ],
                "summary": summary,
            }
        },
    )


def catalog_tables(config: dict) -> Iterator[tuple[str, object]]:
    """Yield ``(identifier, table_or_error)`` for every table of the configured catalog.

    ``config`` is ``{"name": ..., **load_catalog properties}``. Namespaces are walked
    recursively. A table that fails to load yields a LakeFileError instead of a table;
    a catalog that cannot be opened or listed raises LakeFileError.
    """
    from pyiceberg.catalog import load_catalog

    props = dict(config)
    name = str(props.pop("name", "default"))
    try:
        catalog = load_catalog(name, **props)
        pending = list(catalog.list_namespaces())
    except Exception as exc:
        raise LakeFileError(
            f"Iceberg catalog '{name}' cannot be opened: {error_text(exc)}"
        ) from None
    while pending:
        namespace = pending.pop(0)
        try:
            pending.extend(catalog.list_namespaces(namespace))
            identifiers = catalog.list_tables(namespace)
        except Exception as exc:
            yield (
                ".".join(namespace),
                LakeFileError(f"namespace cannot be listed: {error_text(exc)}"),
            )
            continue
        for ident in identifiers:
            try:
                yield ".".join(ident), catalog.load_table(ident)
            except Exception as exc:
                yield ".".join(ident), LakeFileError(f"table cannot be loaded: {error_text(exc)}")


def latest_metadata(paths: list[str]) -> str | None:
    """The newest ``*.metadata.json`` among ``paths`` (highest version number prefix)."""
    candidates = []
    for path in paths:
        base = path.rsplit("/", 1)[-1]
        if base.endswith(".metadata.json") and (m := _VERSION_RE.match(base)):
            candidates.append((int(m[1]), path))
    return max(candidates)[1] if candidates else None


def static_table(metadata_uri: str, storage_options: dict | None = None):
    """Load an Iceberg table from its metadata file; LakeFileError on failure."""
    from pyiceberg.table import StaticTable

    try:
        return StaticTable.from_metadata(metadata_uri, properties=storage_options or {})
    except Exception as exc:
        raise LakeFileError(f"Iceberg metadata cannot be read: {error_text(exc)}") from None
