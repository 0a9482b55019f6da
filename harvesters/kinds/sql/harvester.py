"""The ``sql`` harvester: tables, views, columns, keys, row counts and view lineage of a
relational database reached through a SQLAlchemy URL (after DataHub's SQLAlchemy source).

Config (``SQLConfig``, unknown keys refused)::

    url: "postgresql+psycopg://user:secret@db:5432/chinook"   # required, any SQLAlchemy URL
    namespace: "postgres://warehouse:5432"   # optional override of the OpenLineage namespace
    include_schemas: ["public", "sales_*"]   # optional fnmatch patterns (default: all)
    exclude_schemas: ["tmp_*"]               # optional; system schemas are always excluded
    include_views: true                      # views, their SQL and their lineage
    row_counts: true                         # SELECT count(*) per table, each in a
                                             # transaction of its own; a failed count
                                             # is a warning (the table is kept)
    connect_timeout: 10                      # seconds

Naming (converges with dbt and OpenLineage, see :mod:`catalog.urns`): a table is
``<database>.<schema>.<table>`` in namespace ``namespace_for_sqlalchemy_url(url,
database)``. ``<database>`` is PostgreSQL's ``current_database()``, DuckDB's catalog
(``current_database()``), the SQLite file stem (schema ``main``). Views get a
:class:`LineageRecord` per table they read and :class:`FieldLineageRecord` s from
:func:`harvesters.sqlparsing.lineage.parse_sql_lineage` on their definition.

DuckDB is introspected through its ``duckdb_tables()``/``duckdb_views()``/
``duckdb_columns()``/``duckdb_constraints()`` functions because duckdb-engine's
inspector queries PostgreSQL catalog tables DuckDB 2 does not have; DuckDB files are
always opened read-only.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from pydantic import Field as PydanticField
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from catalog.urns import dataset_urn, namespace_for_sqlalchemy_url
from harvesters.base import Harvester, HarvesterConfig, HarvestError
from harvesters.kinds.sql.introspect import (
    COUNT_CHUNK,
    DESCRIBE_CHUNK,
    DuckDBIntrospector,
    RelationInfo,
    SAIntrospector,
    SQLiteIntrospector,
    _reason,
)
from harvesters.records import (
    Checkpoint,
    DatasetRecord,
    FieldLineageRecord,
    FieldRecord,
    LineageRecord,
)
from harvesters.report import HarvestReport
from harvesters.sqlparsing.dialects import sqlglot_dialect
from harvesters.sqlparsing.lineage import field_edges, parse_sql_lineage

log = logging.getLogger(__name__)

SYSTEM_SCHEMAS = {
    "information_schema",
    "pg_catalog",
    "pg_toast",
    "sys",
    "mysql",
    "performance_schema",
    "INFORMATION_SCHEMA",
    "crdb_internal",
}
SYSTEM_SCHEMA_PATTERNS = ("pg_temp_*", "pg_toast_temp_*")
PLATFORMS = {"postgresql": "postgres", "mariadb": "mysql"}
#: dialects whose "schema" is the database: tables are named ``<schema>.<table>`` (as
#: OpenLineage's MySQL naming and dbt-mysql do), and a URL naming a database harvests only it
TWO_PART_DIALECTS = {"mysql", "mariadb"}


class SQLConfig(HarvesterConfig):
    """Configuration of a ``sql`` source; see the module docstring for each key."""

    url: str = PydanticField(
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pass@db:5432/chinook or "
        "sqlite:////data/Chinook_Sqlite.sqlite (DuckDB files are opened read-only)"
    )
    namespace: str | None = PydanticField(None, description="OpenLineage namespace override")
    include_schemas: list[str] | None = PydanticField(
        None, description="fnmatch patterns of the schemas to harvest (default: all)"
    )
    exclude_schemas: list[str] = PydanticField(
        default_factory=list, description="fnmatch patterns of schemas to skip, e.g. sales_*"
    )
    include_views: bool = PydanticField(True, description="harvest views and their lineage")
    row_counts: bool = PydanticField(True, description="count the rows of every table")
    connect_timeout: float = PydanticField(
        default=10, gt=0, description="seconds to wait for the database to answer"
    )


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL: hide what looks like a password
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def normalise_type(native: str, sa_type: object | None = None) -> str:
    """Map a column type to a family: integer, decimal, float, string, boolean, date,
    timestamp, binary, struct, array, map or other.

    Uses the SQLAlchemy type class when known, else the native type string.
    """
    checks = (
        (sa.Boolean, "boolean"),
        (sa.Integer, "integer"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.DateTime, "timestamp"),
        (sa.Date, "date"),
        (sa.ARRAY, "array"),
        (sa.JSON, "other"),
        (sa.String, "string"),
        (sa.LargeBinary, "binary"),
        (sa.types._Binary, "binary"),
        (sa.Uuid, "string"),
        (sa.Time, "other"),
        (sa.Interval, "other"),
    )
    for type_class, family in checks:
        if sa_type is not None and isinstance(sa_type, type_class):
            return family
    return _family_from_string(native)


_TYPE_PATTERNS = (
    (r"\[\]$|^(ARRAY|LIST)\b|\[\d*\]$", "array"),
    (r"^(STRUCT|ROW|RECORD|OBJECT)\b", "struct"),
    (r"^MAP\b", "map"),
    (r"^(INTERVAL|POINT|UNION|GEOMETRY|GEOGRAPHY|JSON)", "other"),
    (r"^BOOL", "boolean"),
    (r"INT|SERIAL", "integer"),
    (r"^(DECIMAL|NUMERIC|NUMBER|MONEY|DEC)\b", "decimal"),
    (r"^(FLOAT|DOUBLE|REAL)", "float"),
    (r"^(TIMESTAMP|DATETIME)", "timestamp"),
    (r"^DATE\b", "date"),
    (r"^TIME\b", "other"),
    (r"CHAR|TEXT|STRING|CLOB|UUID|ENUM|NAME\b", "string"),
    (r"BLOB|BINARY|BYTEA|BYTES", "binary"),
)


def _family_from_string(native: str) -> str:
    upper = native.strip().upper()
    for pattern, family in _TYPE_PATTERNS:
        if re.search(pattern, upper):
            return family
    return "other"


class SQLHarvester(Harvester):
    """Harvests one database. Yields a DatasetRecord per table/view (fields authoritative),
    then, per view, LineageRecords (input table → view) and FieldLineageRecords.

    Raises HarvestError if the database cannot be reached; a table whose introspection
    fails is reported with ``report.error`` and skipped; a view whose SQL cannot be
    analysed gets ``report.warn`` and no lineage.
    """

    kind = "sql"
    config_class = SQLConfig
    config: SQLConfig
    _two_part = False  # set per run: MySQL/MariaDB naming (see TWO_PART_DIALECTS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._families: dict[tuple, str] = {}

    def records(self) -> Iterator:
        """Connect, introspect every included schema and yield the records."""
        engine = self._engine()
        try:
            try:
                conn = engine.connect()
            except Exception as exc:  # noqa: BLE001 - driver errors vary by database
                raise HarvestError(
                    f"cannot connect to {safe_url(self.config.url)}: {_reason(exc)}"
                ) from None
            with conn:
                yield from self._harvest(conn)
        finally:
            engine.dispose()

    def probe(self) -> str:
        """Test connection: connect and list the schemas this source would harvest
        (read-only); HarvestError with the reason when the database cannot be reached."""
        engine = self._engine()
        try:
            try:
                conn = engine.connect()
            except Exception as exc:  # noqa: BLE001 - driver errors vary by database
                raise HarvestError(
                    f"cannot connect to {safe_url(self.config.url)}: {_reason(exc)}"
                ) from None
            with conn:
                duck = conn.dialect.name == "duckdb"
                introspector = DuckDBIntrospector(conn) if duck else SAIntrospector(conn)
                schemas = [s for s in introspector.schema_names() if self._schema_included(s)]
        finally:
            engine.dispose()
        shown = ", ".join(schemas[:5]) + (", ..." if len(schemas) > 5 else "")
        return f"connected to {safe_url(self.config.url)}: {len(schemas)} schema(s) ({shown})"

    # -- connection -------------------------------------------------------------------
    def _engine(self) -> sa.Engine:
        url_text = self.config.url
        try:
            url = make_url(url_text)
        except Exception as exc:  # noqa: BLE001
            raise HarvestError(f"cannot connect to {safe_url(url_text)}: {_reason(exc)}") from None
        backend = url.get_backend_name()
        connect_args: dict = {}
        timeout = self.config.connect_timeout
        if backend in {"sqlite", "duckdb"}:
            path = url.database or ""
            on_disk = path and path != ":memory:" and not path.startswith("file:")
            if on_disk and not Path(path).is_file():
                raise HarvestError(
                    f"cannot connect to {safe_url(url_text)}: database file {path} not found"
                )
            if backend == "sqlite":
                connect_args["timeout"] = timeout
            elif "access_mode" not in url.query and path and path != ":memory:":
                connect_args["read_only"] = True
        elif backend in {"postgresql", "mysql", "mariadb"}:
            connect_args["connect_timeout"] = max(1, int(timeout))
        try:
            return sa.create_engine(url, connect_args=connect_args, poolclass=NullPool)
        except Exception as exc:  # noqa: BLE001 - unknown dialect, missing driver...
            raise HarvestError(f"cannot connect to {safe_url(url_text)}: {_reason(exc)}") from None

    # -- harvest ----------------------------------------------------------------------
    def _harvest(self, conn: Connection) -> Iterator:
        """Stream the source: per schema (sorted) and chunk of relation names, reflect,
        count and yield the datasets, then a :class:`Checkpoint` ``[schema, last name]``
        (the runner may commit there; a resumed run skips up to ``resume_after``); then
        the lineage of every view. Nothing whole-source is kept but the names of the
        schema being read."""
        dialect_name = conn.dialect.name
        introspectors = {"duckdb": DuckDBIntrospector, "sqlite": SQLiteIntrospector}
        introspector = introspectors.get(dialect_name, SAIntrospector)(conn)
        database = introspector.database_name(self.config.url)
        namespace = self.config.namespace or namespace_for_sqlalchemy_url(self.config.url, database)
        platform = PLATFORMS.get(dialect_name, dialect_name)
        self._two_part = dialect_name in TWO_PART_DIALECTS
        schemas = introspector.schema_names()
        if self._two_part and self.config.include_schemas is None and conn.engine.url.database:
            schemas = [s for s in schemas if s == conn.engine.url.database]
        schemas = sorted(s for s in schemas if self._schema_included(s))
        views = self.config.include_views
        self.expected_total = sum(len(introspector.relation_names(s, views)) for s in schemas)
        after = tuple(self.resume_after) if self.resume_after else None
        for schema in schemas:
            if after and schema < after[0]:
                continue
            names = introspector.relation_names(schema, views)
            if after and schema == after[0]:
                names = [n for n in names if n[0] > after[1]]
            for start in range(0, len(names), DESCRIBE_CHUNK):
                chunk = names[start : start + DESCRIBE_CHUNK]
                relations = introspector.describe(schema, chunk, self.report)
                if self.config.row_counts:
                    self._count_rows(introspector, schema, relations)
                for rel in relations:
                    yield self._dataset(rel, database, namespace, platform)
                yield Checkpoint([schema, chunk[-1][0]])
            del names
        if views:
            yield from self._view_lineage(introspector, schemas, database, namespace, dialect_name)

    def _count_rows(self, introspector, schema: str, relations: list[RelationInfo]) -> None:
        """Set ``row_count`` of the tables among ``relations``: a few tables per statement
        in a short read transaction; when one of them fails, one by one."""
        tables = [rel for rel in relations if rel.type == "table"]
        for start in range(0, len(tables), COUNT_CHUNK):
            group = tables[start : start + COUNT_CHUNK]
            try:
                counts = introspector.row_counts(schema, [rel.name for rel in group])
            except Exception:  # noqa: BLE001 - find the table(s) that failed
                introspector.recover()
                for rel in group:
                    rel.row_count = self._row_count(introspector, schema, rel.name)
                continue
            for rel in group:
                rel.row_count = counts.get(rel.name)

    def _row_count(self, introspector: SAIntrospector, schema: str, table: str) -> int | None:
        """The table's row count, counted in a transaction of its own (so table locks never
        pile up: PostgreSQL's ``max_locks_per_transaction``); a failed count (no SELECT
        privilege, a lock timeout...) is a warning and None, never a lost table."""
        try:
            count = introspector.row_count(schema, table)
        except Exception as exc:  # noqa: BLE001 - driver errors vary by database
            introspector.recover()
            self.report.warn(f"{schema}.{table}", f"row count skipped: {_reason(exc)}")
            return None
        introspector.end_transaction()
        return count

    def _family(self, native: str, sa_type: object | None) -> str:
        """:func:`normalise_type`, memoised per (native type, SQLAlchemy type class)."""
        key = (native, type(sa_type))
        family = self._families.get(key)
        if family is None:
            family = self._families[key] = normalise_type(native, sa_type)
        return family

    def _qname(self, database: str, schema: str, name: str) -> str:
        """The qualified name of a table: ``<database>.<schema>.<table>``, or
        ``<schema>.<table>`` on MySQL/MariaDB (where a schema is a database)."""
        return f"{schema}.{name}" if self._two_part else f"{database}.{schema}.{name}"

    def _input_name(self, table: str) -> str:
        """A table name from the SQL parser (``db.schema.table``) as :meth:`_qname` names it."""
        return ".".join(table.split(".")[-2:]) if self._two_part else table

    def _schema_included(self, schema: str) -> bool:
        if schema in SYSTEM_SCHEMAS or any(
            fnmatch.fnmatchcase(schema, p) for p in SYSTEM_SCHEMA_PATTERNS
        ):
            return False
        if self.config.include_schemas is not None and not any(
            fnmatch.fnmatchcase(schema, p) for p in self.config.include_schemas
        ):
            return False
        return not any(fnmatch.fnmatchcase(schema, p) for p in self.config.exclude_schemas)

    def _dataset(
        self, rel: RelationInfo, database: str, namespace: str, platform: str
    ) -> DatasetRecord:
        qualified = self._qname(database, rel.schema, rel.name)
        fk_by_column: dict[str, tuple[str, str]] = {}
        for fk in rel.foreign_keys:
            target = dataset_urn(namespace, self._qname(database, fk["schema"], fk["table"]))
            for col, ref in zip(fk["columns"], fk["ref_columns"], strict=False):
                fk_by_column.setdefault(col, (target, ref))
        fields = []
        for position, col in enumerate(rel.columns, start=1):
            target, ref = fk_by_column.get(col.name, ("", ""))
            fields.append(
                FieldRecord(
                    name=col.name,
                    data_type=self._family(col.native_type, col.sa_type),
                    native_type=col.native_type,
                    nullable=col.nullable,
                    description=col.comment,
                    ordinal=position,
                    is_primary_key=col.name in rel.primary_key,
                    fk_target_urn=target,
                    fk_target_field=ref,
                )
            )
        properties: dict = {"database": database, "schema": rel.schema}
        if rel.view_definition:
            properties["view_definition"] = rel.view_definition
        if rel.primary_key:
            properties["primary_key"] = rel.primary_key
        return DatasetRecord(
            urn=dataset_urn(namespace, qualified),
            namespace=namespace,
            qualified_name=qualified,
            name=rel.name,
            platform=platform,
            type=rel.type,
            description=rel.comment,
            fields=fields,
            fields_authoritative=True,
            properties=properties,
            row_count=rel.row_count,
        )

    def _view_lineage(
        self, introspector, schemas: list[str], database: str, namespace: str, dialect_name: str
    ) -> Iterator:
        """LineageRecords and FieldLineageRecords of every view from its SQL.

        Views are read again (chunk by chunk; a resumed run gets the lineage of views it
        passed before the crash too). Each view's SQL is parsed once to find the tables
        it reads, whose columns are then reflected (cached per run, only those tables),
        and parsed again with them for column lineage."""
        dialect = sqlglot_dialect(dialect_name)
        columns: dict[tuple[str, str], dict[str, str]] = {}  # (schema, table) -> {col: type}

        def columns_of(qualified: str) -> dict[str, str]:
            parts = qualified.split(".")
            schema, table = (parts[-2] if len(parts) > 1 else "", parts[-1])
            key = (schema.lower(), table.lower())
            if key not in columns:
                found = introspector.columns_of(schema, table)
                if not found and table != table.lower():
                    found = introspector.columns_of(schema, table.lower())
                columns[key] = found
            return columns[key]

        for schema in schemas:
            names = [n for n in introspector.relation_names(schema, True) if n[1] == "view"]
            for start in range(0, len(names), DESCRIBE_CHUNK):
                chunk = names[start : start + DESCRIBE_CHUNK]
                # a view that cannot be described was reported by the first pass
                for rel in introspector.describe(schema, chunk, HarvestReport()):
                    if rel.view_definition:
                        yield from self._lineage_of(rel, database, namespace, dialect, columns_of)

    def _lineage_of(self, rel: RelationInfo, database, namespace, dialect, columns_of) -> Iterator:
        view = self._qname(database, rel.schema, rel.name)
        view_urn = dataset_urn(namespace, view)

        def parse(schema_map: dict):
            return parse_sql_lineage(
                rel.view_definition,
                dialect=dialect,
                default_database=database,
                default_schema=rel.schema,
                schema=schema_map,
            )

        schema_map: dict = {}
        for table in parse({}).inputs:
            parts = table.split(".")
            if len(parts) == 3:
                schema_map.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = {
                    name: native or "UNKNOWN" for name, native in columns_of(table).items()
                }
        result = parse(schema_map)
        if result.errors:
            self.report.warn(f"{rel.schema}.{rel.name}", "; ".join(result.errors))
        for table in map(self._input_name, result.inputs):
            if table.lower() != view.lower():
                yield LineageRecord(dataset_urn(namespace, table), view_urn)
        view_columns = {c.name.lower(): c.name for c in rel.columns}
        for out_col, src in field_edges(result, settings.MESH_SQL_INDIRECT_LINEAGE):
            downstream = view_columns.get(out_col.lower())
            if downstream is None:
                continue
            src_table = self._input_name(src.table)
            names = {c.lower(): c for c in columns_of(src.table)}
            upstream = names.get(src.column.lower(), src.column)
            yield FieldLineageRecord(
                dataset_urn(namespace, src_table),
                upstream,
                view_urn,
                downstream,
                transformation=src.transformation,
                subtype=src.subtype,
            )
