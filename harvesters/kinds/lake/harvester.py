"""The data-lake harvester (kind ``lake``): folders of Parquet, CSV and JSON-lines files,
Delta Lake tables and Iceberg tables, on a local disk or any fsspec filesystem.

One run lists the lake root once (``fsspec`` ``find``), groups files into datasets (see
:mod:`harvesters.kinds.lake.grouping`), describes each from metadata or a bounded sample and
yields one :class:`~harvesters.records.DatasetRecord` per dataset (type ``file``,
platform = format, ``fields_authoritative=True``) with ``properties["lake"]``::

    {"format": "parquet", "location": "file:///srv/lake/invoices", "file_count": 24,
     "partition_columns": ["BillingCountry"], "last_modified": "2026-11-01T02:00:00+00:00"}

Naming (:mod:`harvesters.kinds.lake.naming`): a dataset of a local lake is named by its
path relative to the lake root in namespace ``lake://<source name>`` (or ``namespace``),
e.g. URN ``urn:mc:dataset:lake://finance-lake/invoices``, never by the machine's absolute
path; ``properties.lake.location`` keeps where the files are. On object storage naming
follows OpenLineage (https://openlineage.io/docs/spec/naming): ``s3://bucket/key`` gives
namespace ``s3://bucket`` (or ``namespace``) and name ``key``.

A file that cannot be described (encrypted footer, malformed page, corrupt checksum,
unparsable CSV, a CSV header or JSON field names that are not valid UTF-8...) is
reported as a run error naming the file and the reason on one line (native backtraces
dropped), and the harvest goes on; the run then ends ``partial`` and stale removal is
skipped.
"""

from collections.abc import Iterator
from typing import Literal

import fsspec
import pyarrow as pa
from pydantic import Field

from catalog.urns import dataset_urn
from harvesters.base import Harvester, HarvesterConfig, HarvestError
from harvesters.kinds.lake import iceberg
from harvesters.kinds.lake.arrowtypes import arrow_fields, partition_fields, schema_key, unify
from harvesters.kinds.lake.common import (
    FileInfo,
    LakeFileError,
    TableInfo,
    error_text,
    file_mtime,
    iso_from_seconds,
    location_name,
    merge_props,
)
from harvesters.kinds.lake.delta import inspect_delta
from harvesters.kinds.lake.grouping import FileEntry, Group, excluded, plan, split_by_schema
from harvesters.kinds.lake.naming import lake_namespace, relative_name
from harvesters.kinds.lake.parquet import inspect_parquet
from harvesters.kinds.lake.text import inspect_csv, inspect_jsonl
from harvesters.records import DatasetRecord

Format = Literal["parquet", "csv", "json", "delta", "iceberg"]


class LakeConfig(HarvesterConfig):
    """Config of a ``lake`` source (unknown keys are refused).

    ``path``: a local folder or fsspec URL (``/srv/lake``, ``s3://bucket/prefix``).
    ``namespace``: overrides the OpenLineage namespace derived from ``path``.
    ``formats``: allow-list of parquet, csv, json, delta, iceberg (default: all).
    ``sample_rows``/``sample_bytes``: bound of the CSV/JSON sample used for inference.
    ``verify_bytes``: a Parquet file's first row group is read with page-CRC checks when it
    is at most this many compressed bytes (0 = footer and page headers only).
    ``exclude``: glob patterns on paths relative to ``path`` (``tmp/*``, ``*.bak``).
    ``max_files``: stop listing after this many files (the run is then ``partial``).
    ``storage_options``: passed to fsspec/deltalake/pyiceberg (credentials, endpoint).
    ``iceberg_catalog``: ``{name, type, uri, warehouse, ...}`` for pyiceberg ``load_catalog``.
    """

    path: str = Field(
        min_length=1, description="a local folder or object-store URL (s3://bucket/prefix)"
    )
    namespace: str | None = Field(None, description="overrides the namespace derived from path")
    formats: list[Format] | None = Field(None, description="formats to harvest (default: all)")
    sample_rows: int = Field(1000, ge=1, description="CSV/JSON rows read to infer a schema")
    sample_bytes: int = Field(1 << 20, ge=1024, description="CSV/JSON bytes read to infer a schema")
    verify_bytes: int = Field(
        8 << 20,
        ge=0,
        description="a Parquet file's first row group is checked when at most this many "
        "compressed bytes (0: footer only)",
    )
    exclude: list[str] = Field([], description="glob patterns relative to path (tmp/*, *.bak)")
    max_files: int | None = Field(None, ge=1, description="stop listing after this many files")
    storage_options: dict = Field(
        {}, description="fsspec/deltalake/pyiceberg options (credentials, endpoint)"
    )
    iceberg_catalog: dict | None = Field(
        None, description="{name, type, uri, warehouse, ...} for pyiceberg load_catalog"
    )


class LakeHarvester(Harvester):
    """Harvests a data lake: see the module docstring for grouping, naming and errors."""

    kind = "lake"
    config_class = LakeConfig

    def records(self) -> Iterator[DatasetRecord]:
        """Yield one DatasetRecord per dataset found; HarvestError if ``path`` is unusable."""
        cfg: LakeConfig = self.config
        try:
            self.fs, root = fsspec.core.url_to_fs(cfg.path, **cfg.storage_options)
            if not self.fs.isdir(root):
                raise HarvestError(f"lake path '{cfg.path}' is not a folder or does not exist")
            listing = self.fs.find(root, detail=True)
        except HarvestError:
            raise
        except Exception as exc:
            raise HarvestError(f"lake path '{cfg.path}' cannot be listed: {exc}") from None
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        self.local = protocol in ("file", "local")
        self.protocol = protocol
        self.root = root.rstrip("/")
        #: local lakes name datasets relative to the root (harvesters.kinds.lake.naming)
        self.local_namespace = None
        if self.local:
            owner = self.source.name if self.source is not None else None
            self.local_namespace = cfg.namespace or lake_namespace(
                owner or relative_name("/", self.root).rsplit("/", 1)[-1]
            )
        entries = self._entries(listing)
        layout = plan(entries, cfg.formats)
        catalog_locations: set[str] = set()
        if cfg.iceberg_catalog and (not cfg.formats or "iceberg" in cfg.formats):
            for record in self._iceberg_catalog(cfg.iceberg_catalog):
                catalog_locations.add(record.properties["lake"]["location"].rstrip("/"))
                yield record
        for folder in layout.delta:
            yield from self._table(
                folder, "delta", lambda uri: inspect_delta(uri, cfg.storage_options)
            )
        for folder, files in layout.iceberg.items():
            if self._uri(self._abs(folder)) in catalog_locations:
                continue
            meta = iceberg.latest_metadata([f.path for f in files])
            if meta:
                yield from self._table(
                    folder,
                    "iceberg",
                    lambda _u, m=meta: iceberg.describe_table(
                        iceberg.static_table(self._uri(m), cfg.storage_options)
                    ),
                )
        for group in layout.groups:
            yield from self._group(group)
        for entry in layout.unknown:
            yield from self._unknown(entry)

    # -- listing ------------------------------------------------------------------
    def _entries(self, listing: dict) -> list[FileEntry]:
        cfg: LakeConfig = self.config
        entries = []
        for path, info in sorted(listing.items()):
            if info.get("type", "file") != "file":
                continue
            rel = path[len(self.root) :].lstrip("/")
            if cfg.exclude and excluded(rel, cfg.exclude):
                continue
            entries.append(
                FileEntry(
                    path=path, rel=rel, size=int(info.get("size") or 0), mtime=file_mtime(info)
                )
            )
        if cfg.max_files and len(entries) > cfg.max_files:
            self.report.error(
                f"lake '{cfg.path}'",
                f"listing stopped at max_files={cfg.max_files}; "
                f"{len(entries) - cfg.max_files} more files were not examined",
            )
            entries = entries[: cfg.max_files]
        self.report.counts["files_listed"] += len(entries)
        return entries

    def _abs(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def _uri(self, path: str) -> str:
        """A full URI for a filesystem path (``file:///x``, ``s3://bucket/key``)."""
        if "://" in path:
            return path
        if self.local:
            return f"file://{path}"
        return f"{self.protocol}://{path.lstrip('/')}"

    # -- records ------------------------------------------------------------------
    def _record(
        self,
        uri: str,
        fmt: str,
        fields,
        rows,
        size,
        file_count,
        partitions,
        last_modified: str,
        extra: dict,
    ) -> DatasetRecord:
        namespace, name = location_name(uri)
        inside = name == self.root or name.startswith(self.root + "/")
        if self.local_namespace and namespace == "file" and inside:
            namespace, name = self.local_namespace, relative_name(self.root, name)
        elif self.config.namespace:
            namespace = self.config.namespace
        display = name.rstrip("/").rsplit("/", 1)[-1] or name
        lake = {
            "format": fmt,
            "location": uri,
            "file_count": file_count,
            "partition_columns": partitions,
            "last_modified": last_modified,
        }
        lake.update(extra.pop("lake", {}))
        return DatasetRecord(
            urn=dataset_urn(namespace, name),
            namespace=namespace,
            qualified_name=name,
            name=display,
            platform=fmt,
            type="file",
            fields=fields,
            fields_authoritative=True,
            properties={"lake": lake, **extra},
            row_count=rows,
            size_bytes=size,
        )

    def _table(self, folder: str, fmt: str, describe) -> Iterator[DatasetRecord]:
        uri = self._uri(self._abs(folder))
        try:
            info: TableInfo = describe(uri if not self.local else self._abs(folder))
        except LakeFileError as exc:
            self.report.error(uri, str(exc))
            return
        self.report.counts[f"{fmt}_tables"] += 1
        yield self._record(
            uri,
            fmt,
            info.fields,
            info.rows,
            info.size_bytes,
            info.file_count,
            info.partition_columns,
            info.last_modified,
            dict(info.props),
        )

    def _iceberg_catalog(self, config: dict) -> Iterator[DatasetRecord]:
        name = str(config.get("name", "default"))
        try:
            for ident, table in iceberg.catalog_tables(config):
                item = f"iceberg {name}.{ident}"
                if isinstance(table, LakeFileError):
                    self.report.error(item, str(table))
                    continue
                try:
                    info = iceberg.describe_table(table, catalog=name)
                except LakeFileError as exc:
                    self.report.error(item, str(exc))
                    continue
                self.report.counts["iceberg_tables"] += 1
                yield self._record(
                    info.location.rstrip("/"),
                    "iceberg",
                    info.fields,
                    info.rows,
                    info.size_bytes,
                    info.file_count,
                    info.partition_columns,
                    info.last_modified,
                    dict(info.props),
                )
        except LakeFileError as exc:
            self.report.error(f"iceberg catalog '{name}'", str(exc))

    def _inspect(self, fmt: str, entry: FileEntry) -> FileInfo:
        cfg: LakeConfig = self.config
        if fmt == "parquet":
            return inspect_parquet(self.fs, entry.path, cfg.verify_bytes)
        if fmt == "csv":
            return inspect_csv(self.fs, entry.path, entry.size, cfg.sample_rows, cfg.sample_bytes)
        return inspect_jsonl(self.fs, entry.path, entry.size, cfg.sample_rows, cfg.sample_bytes)

    def _group(self, group: Group) -> Iterator[DatasetRecord]:
        """Describe every file of ``group``, then yield its dataset(s).

        A file that cannot be described (including one whose schema cannot be keyed,
        e.g. column names that are not UTF-8) is a per-file error; the others go on.
        """
        infos: dict[str, FileInfo] = {}
        keys: dict[str, tuple] = {}
        names_only = group.format != "parquet"
        for entry in group.files:
            self.report.counts["files"] += 1
            try:
                info = self._inspect(group.format, entry)
                keys[entry.path] = schema_key(info.schema, names_only)
                infos[entry.path] = info
            except LakeFileError as exc:
                self.report.counts["files_failed"] += 1
                self.report.error(self._uri(entry.path), str(exc))
            except UnicodeDecodeError as exc:  # names pyarrow read but Python cannot decode
                self.report.counts["files_failed"] += 1
                self.report.error(
                    self._uri(entry.path), f"column names are not valid UTF-8 ({exc})"
                )
            except Exception as exc:  # an unexpected reader fault: still only this file
                self.report.counts["files_failed"] += 1
                self.report.error(self._uri(entry.path), f"{type(exc).__name__}: {error_text(exc)}")
        is_folder, units = split_by_schema(group, keys)
        for files in units:
            location = self._abs(group.folder) if is_folder else files[0].path
            record = self._dataset(
                group, files, [infos[f.path] for f in files], location, is_folder
            )
            if record is not None:
                yield record

    def _dataset(
        self,
        group: Group,
        files: list[FileEntry],
        infos: list[FileInfo],
        location: str,
        is_folder: bool,
    ) -> DatasetRecord | None:
        uri = self._uri(location)
        try:
            schema = unify([i.schema for i in infos], text=group.format != "parquet")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            self.report.warn(uri, f"files have incompatible schemas; using the newest: {exc}")
            schema = max(zip(files, infos, strict=True), key=lambda fi: fi[0].mtime or 0)[1].schema
        native: dict[str, str] = {}
        for info in infos:
            native.update(info.native)
        fields = arrow_fields(schema, native)
        partition_keys = (
            [k for k in group.partition_keys if k not in schema.names] if is_folder else []
        )
        values = {k: {f.partitions[k] for f in files if k in f.partitions} for k in partition_keys}
        fields += partition_fields(values, start=len(fields))
        rows = [i.rows for i in infos]
        mtimes = [f.mtime for f in files if f.mtime is not None]
        extra = merge_props([i.props for i in infos])
        return self._record(
            uri,
            group.format,
            fields,
            sum(rows) if None not in rows else None,
            sum(f.size for f in files),
            len(files),
            group.partition_keys if is_folder else [],
            iso_from_seconds(max(mtimes) if mtimes else None),
            {"lake": extra},
        )

    def _unknown(self, entry: FileEntry) -> Iterator[DatasetRecord]:
        """Sniff a file without a known extension: Parquet by magic bytes, else skipped."""
        try:
            with self.fs.open(entry.path, "rb") as fh:
                magic = fh.read(4)
        except Exception as exc:
            self.report.error(self._uri(entry.path), f"cannot be read: {exc}")
            return
        if magic in (b"PAR1", b"PARE") and (
            not self.config.formats or "parquet" in self.config.formats
        ):
            group = Group(folder="", format="parquet", files=[entry], partition_keys=[])
            yield from self._group(group)
            return
        self.report.counts["files_skipped"] += 1
        self.report.warn(self._uri(entry.path), "skipped: not a Parquet, CSV or JSON-lines file")
