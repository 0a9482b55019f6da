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
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from pydantic import Field as PydanticField
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.pool import NullPool

from catalog.urns import dataset_urn, namespace_for_sqlalchemy_url
from harvesters.base import Harvester, HarvesterConfig, HarvestError
from harvesters.records import DatasetRecord, FieldLineageRecord, FieldRecord, LineageRecord
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

    url: str
    namespace: str | None = None
    include_schemas: list[str] | None = None
    exclude_schemas: list[str] = PydanticField(default_factory=list)
    include_views: bool = True
    row_counts: bool = True
    connect_timeout: float = PydanticField(default=10, gt=0)


@dataclass(slots=True)
class ColumnInfo:
    """A column as introspected: native type string and optional SQLAlchemy type."""

    name: str
    native_type: str
    sa_type: object | None = None
    nullable: bool | None = None
    comment: str = ""


@dataclass(slots=True)
class RelationInfo:
    """A table or view as introspected (``type`` "table" or "view")."""

    schema: str
    name: str
    type: str
    columns: list[ColumnInfo] = field(default_factory=list)
    comment: str = ""
    primary_key: list[str] = field(default_factory=list)
    # each {"columns": [...], "schema": str, "table": str, "ref_columns": [...]}
    foreign_keys: list[dict] = field(default_factory=list)
    view_definition: str = ""
    row_count: int | None = None


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
        dialect_name = conn.dialect.name
        introspector = (
            DuckDBIntrospector(conn) if dialect_name == "duckdb" else SAIntrospector(conn)
        )
        database = introspector.database_name(self.config.url)
        namespace = self.config.namespace or namespace_for_sqlalchemy_url(self.config.url, database)
        platform = PLATFORMS.get(dialect_name, dialect_name)
        self._two_part = dialect_name in TWO_PART_DIALECTS
        relations: list[RelationInfo] = []
        schemas = introspector.schema_names()
        if self._two_part and self.config.include_schemas is None and conn.engine.url.database:
            schemas = [s for s in schemas if s == conn.engine.url.database]
        for schema in schemas:
            if not self._schema_included(schema):
                continue
            for rel in introspector.describe_schema(schema, self.config.include_views, self.report):
                if self.config.row_counts and rel.type == "table":
                    rel.row_count = self._row_count(introspector, schema, rel.name)
                relations.append(rel)
                yield self._dataset(rel, database, namespace, platform)
        if self.config.include_views:
            yield from self._view_lineage(relations, database, namespace, dialect_name)

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
                    data_type=normalise_type(col.native_type, col.sa_type),
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
        self, relations: list[RelationInfo], database: str, namespace: str, dialect_name: str
    ) -> Iterator:
        """LineageRecords and FieldLineageRecords of every view from its SQL."""
        schema_map: dict = {}
        columns_of: dict[str, dict[str, str]] = {}
        for rel in relations:
            schema_map.setdefault(database, {}).setdefault(rel.schema, {})[rel.name] = {
                c.name: c.native_type or "UNKNOWN" for c in rel.columns
            }
            columns_of[self._qname(database, rel.schema, rel.name).lower()] = {
                c.name.lower(): c.name for c in rel.columns
            }
        dialect = sqlglot_dialect(dialect_name)
        for rel in relations:
            if rel.type != "view" or not rel.view_definition:
                continue
            view = self._qname(database, rel.schema, rel.name)
            view_urn = dataset_urn(namespace, view)
            result = parse_sql_lineage(
                rel.view_definition,
                dialect=dialect,
                default_database=database,
                default_schema=rel.schema,
                schema=schema_map,
            )
            if result.errors:
                self.report.warn(f"{rel.schema}.{rel.name}", "; ".join(result.errors))
            for table in map(self._input_name, result.inputs):
                if table.lower() != view.lower():
                    yield LineageRecord(dataset_urn(namespace, table), view_urn)
            view_columns = columns_of.get(view.lower(), {})
            for out_col, src in field_edges(result, settings.MESH_SQL_INDIRECT_LINEAGE):
                downstream = view_columns.get(out_col.lower())
                if downstream is None:
                    continue
                src_table = self._input_name(src.table)
                upstream = columns_of.get(src_table.lower(), {}).get(src.column.lower(), src.column)
                yield FieldLineageRecord(
                    dataset_urn(namespace, src_table),
                    upstream,
                    view_urn,
                    downstream,
                    transformation=src.transformation,
                    subtype=src.subtype,
                )


def _reason(exc: BaseException) -> str:
    """A one-line reason from a driver exception (no SQL, no traceback)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    text = text.split("\n[SQL:", 1)[0].split("\n(Background", 1)[0]
    text = " ".join(text.split())
    return text[:300] or type(exc).__name__


class SAIntrospector:
    """Introspection through SQLAlchemy's inspector (PostgreSQL, SQLite, MySQL...)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.inspector = sa.inspect(conn)

    def recover(self) -> None:
        """Roll back after a failed statement (PostgreSQL aborts the transaction)."""
        self.conn.rollback()

    def end_transaction(self) -> None:
        """End the read transaction (releasing its table locks); the next statement
        starts a new one. Read-only: nothing was written."""
        self.conn.rollback()

    def database_name(self, url: str) -> str:
        """The catalog name used as the first part of qualified names."""
        name = self.conn.dialect.name
        if name == "sqlite":
            path = self.conn.engine.url.database or ""
            return Path(path).stem if path and path != ":memory:" else "memory"
        if name in {"postgresql", "duckdb"}:
            return self.conn.execute(sa.text("SELECT current_database()")).scalar_one()
        return self.conn.engine.url.database or self.inspector.default_schema_name or "default"

    def schema_names(self) -> list[str]:
        """Every schema the connection can see."""
        return list(self.inspector.get_schema_names())

    def describe_schema(self, schema: str, include_views: bool, report) -> list[RelationInfo]:
        """Tables (and views) of ``schema``, bulk-reflected; per-table on bulk failure."""
        relations = [
            RelationInfo(schema, t, "table") for t in sorted(self.inspector.get_table_names(schema))
        ]
        if include_views:
            relations += [
                RelationInfo(schema, v, "view")
                for v in sorted(self.inspector.get_view_names(schema))
            ]
        try:
            bulk = self._bulk(schema)
        except Exception:  # noqa: BLE001 - isolate the bad table below
            self.recover()
            bulk = None
        described = []
        for rel in relations:
            try:
                self._fill(rel, bulk)
            except Exception as exc:  # noqa: BLE001
                self.recover()
                report.error(f"{schema}.{rel.name}", f"cannot introspect: {_reason(exc)}")
                continue
            described.append(rel)
        return described

    def _bulk(self, schema: str) -> dict:
        insp = self.inspector
        bulk = {
            "columns": insp.get_multi_columns(schema=schema, kind=ObjectKind.ANY),
            "pk": insp.get_multi_pk_constraint(schema=schema),
            "fk": insp.get_multi_foreign_keys(schema=schema),
        }
        try:
            bulk["comment"] = insp.get_multi_table_comment(schema=schema, kind=ObjectKind.ANY)
        except NotImplementedError:
            bulk["comment"] = {}
        return bulk

    def _fill(self, rel: RelationInfo, bulk: dict | None) -> None:
        insp, key = self.inspector, (rel.schema, rel.name)
        if bulk is not None and key in bulk["columns"]:
            columns = bulk["columns"][key]
            pk = bulk["pk"].get(key) or {}
            fks = bulk["fk"].get(key) or []
            comment = (bulk["comment"].get(key) or {}).get("text")
        else:
            columns = insp.get_columns(rel.name, rel.schema)
            pk = insp.get_pk_constraint(rel.name, rel.schema) if rel.type == "table" else {}
            fks = insp.get_foreign_keys(rel.name, rel.schema) if rel.type == "table" else []
            try:
                comment = insp.get_table_comment(rel.name, rel.schema).get("text")
            except NotImplementedError:
                comment = None
        rel.columns = [
            ColumnInfo(
                name=c["name"],
                native_type=_native(c["type"]),
                sa_type=c["type"],
                nullable=c.get("nullable"),
                comment=c.get("comment") or "",
            )
            for c in columns
        ]
        rel.comment = comment or ""
        rel.primary_key = list(pk.get("constrained_columns") or [])
        rel.foreign_keys = [
            {
                "columns": fk["constrained_columns"],
                "schema": fk.get("referred_schema") or rel.schema,
                "table": fk["referred_table"],
                "ref_columns": fk["referred_columns"],
            }
            for fk in fks
        ]
        if rel.type == "view":
            rel.view_definition = insp.get_view_definition(rel.name, rel.schema) or ""

    def row_count(self, schema: str, table: str) -> int:
        """``SELECT count(*)`` of one table."""
        query = sa.select(sa.func.count()).select_from(sa.table(table, schema=schema))
        return int(self.conn.execute(query).scalar_one())


def _native(sa_type: object) -> str:
    try:
        return str(sa_type)
    except Exception:  # noqa: BLE001 - some types cannot compile without a dialect
        return type(sa_type).__name__


class DuckDBIntrospector(SAIntrospector):
    """DuckDB through its ``duckdb_*()`` metadata functions (current database only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def recover(self) -> None:
        """Nothing to roll back: the connection is read-only."""

    def end_transaction(self) -> None:
        """Nothing to end: DuckDB files are opened read-only."""

    def database_name(self, url: str) -> str:
        """DuckDB's catalog name (``current_database()``), e.g. ``jaffle_shop``."""
        return self.conn.execute(sa.text("SELECT current_database()")).scalar_one()

    def _rows(self, sql: str, **params) -> list:
        return list(self.conn.execute(sa.text(sql), params).mappings())

    def schema_names(self) -> list[str]:
        """Schemas of the current database."""
        return [
            r["schema_name"]
            for r in self._rows(
                "SELECT schema_name FROM duckdb_schemas() "
                "WHERE database_name = current_database() ORDER BY schema_name"
            )
        ]

    def describe_schema(self, schema: str, include_views: bool, report) -> list[RelationInfo]:
        """Tables and views of ``schema`` with columns, comments, keys and view SQL."""
        where = "database_name = current_database() AND schema_name = :s AND NOT internal"
        relations: dict[str, RelationInfo] = {}
        for r in self._rows(
            f"SELECT table_name, comment FROM duckdb_tables() WHERE {where} "
            "AND NOT temporary ORDER BY table_name",
            s=schema,
        ):
            relations[r["table_name"]] = RelationInfo(
                schema, r["table_name"], "table", comment=r["comment"] or ""
            )
        if include_views:
            for r in self._rows(
                f"SELECT view_name, comment, sql FROM duckdb_views() "
                f"WHERE {where} AND NOT temporary ORDER BY view_name",
                s=schema,
            ):
                relations[r["view_name"]] = RelationInfo(
                    schema,
                    r["view_name"],
                    "view",
                    comment=r["comment"] or "",
                    view_definition=r["sql"] or "",
                )
        for r in self._rows(
            "SELECT table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns()"
            " WHERE database_name = current_database() AND schema_name = :s "
            "ORDER BY table_name, column_index",
            s=schema,
        ):
            rel = relations.get(r["table_name"])
            if rel is not None:
                rel.columns.append(
                    ColumnInfo(
                        r["column_name"], r["data_type"], None, r["is_nullable"], r["comment"] or ""
                    )
                )
        for r in self._rows(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() WHERE database_name = "
            "current_database() AND schema_name = :s AND constraint_type IN "
            "('PRIMARY KEY', 'FOREIGN KEY')",
            s=schema,
        ):
            rel = relations.get(r["table_name"])
            if rel is None:
                continue
            if r["constraint_type"] == "PRIMARY KEY":
                rel.primary_key = list(r["constraint_column_names"])
            else:
                rel.foreign_keys.append(
                    {
                        "columns": list(r["constraint_column_names"]),
                        "schema": schema,
                        "table": r["referenced_table"],
                        "ref_columns": list(r["referenced_column_names"] or []),
                    }
                )
        return list(relations.values())

    def row_count(self, schema: str, table: str) -> int:
        """``SELECT count(*)`` of one table (identifiers quoted)."""
        quoted = ".".join('"' + p.replace('"', '""') + '"' for p in (schema, table))
        return int(self.conn.execute(sa.text(f"SELECT count(*) FROM {quoted}")).scalar_one())
