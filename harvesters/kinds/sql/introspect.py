"""Introspection of a relational database for the ``sql`` harvester, in bounded memory.

A source is read schema by schema and, within a schema, in chunks of relation names
(:data:`DESCRIBE_CHUNK`): :meth:`SAIntrospector.relation_names` lists the names (the only
whole-schema list, names alone), :meth:`SAIntrospector.describe` reflects one chunk (columns,
keys, comments, view SQL) and :meth:`SAIntrospector.row_counts` counts the rows of a few
tables in one short read transaction. SQLAlchemy's inspector cache is emptied after every
chunk, so memory does not grow with the source. DuckDB is read through its
``duckdb_*()`` metadata functions (duckdb-engine's inspector fails on DuckDB 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import ObjectKind

DESCRIBE_CHUNK = 500  # relations reflected per query batch (and per checkpoint)
COUNT_CHUNK = 50  # tables counted per statement (each holds a lock until it ends)


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

    def relation_names(self, schema: str, include_views: bool) -> list[tuple[str, str]]:
        """``[(name, "table"|"view"), ...]`` of ``schema``, sorted by name."""
        names = [(t, "table") for t in self.inspector.get_table_names(schema)]
        if include_views:
            names += [(v, "view") for v in self.inspector.get_view_names(schema)]
        self.inspector.info_cache.clear()
        return sorted(names)

    def describe(self, schema: str, names: list[tuple[str, str]], report) -> list[RelationInfo]:
        """The relations ``names`` of ``schema``, bulk-reflected (per relation when the
        bulk reflection fails, a relation that still fails is reported and skipped)."""
        relations = [RelationInfo(schema, name, kind) for name, kind in names]
        try:
            bulk = self._bulk(schema, [name for name, _ in names])
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
        self.inspector.info_cache.clear()  # bounded memory: nothing kept between chunks
        return described

    def _bulk(self, schema: str, names: list[str]) -> dict:
        insp = self.inspector
        bulk = {
            "columns": insp.get_multi_columns(
                schema=schema, filter_names=names, kind=ObjectKind.ANY
            ),
            "pk": insp.get_multi_pk_constraint(schema=schema, filter_names=names),
            "fk": insp.get_multi_foreign_keys(schema=schema, filter_names=names),
        }
        try:
            bulk["comment"] = insp.get_multi_table_comment(
                schema=schema, filter_names=names, kind=ObjectKind.ANY
            )
        except NotImplementedError:
            bulk["comment"] = {}
        return bulk

    def columns_of(self, schema: str, table: str) -> dict[str, str]:
        """``{column: native type}`` of one table (for view lineage); {} if unknown."""
        try:
            columns = self.inspector.get_columns(table, schema)
        except Exception:  # noqa: BLE001 - a missing or unreadable table: no columns
            self.recover()
            return {}
        finally:
            self.inspector.info_cache.clear()
        return {c["name"]: _native(c["type"]) for c in columns}

    def row_counts(self, schema: str, tables: list[str]) -> dict[str, int]:
        """``{table: rows}`` of a few tables (``SELECT count(*)`` of each, one statement,
        one read transaction ended right after, so at most len(tables) locks are held).
        Raises the driver's error when any count fails (the caller counts one by one)."""
        quote = self.conn.dialect.identifier_preparer.quote
        parts = [
            f"SELECT {i} AS i, count(*) AS n FROM {quote(schema)}.{quote(table)}"
            for i, table in enumerate(tables)
        ]
        try:
            rows = self.conn.execute(sa.text(" UNION ALL ".join(parts))).all()
        finally:
            self.end_transaction()
        return {tables[i]: int(n) for i, n in rows}

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


_NATIVE: dict[tuple, str] = {}  # (type class, its attributes) -> native string


def _native(sa_type: object) -> str:
    """The type's SQL string (``NUMERIC(10, 2)``), memoised by type class and attributes:
    compiling it costs ~0.1 ms, a big source has a million columns of a few types."""
    try:
        key = (type(sa_type), tuple(sorted(vars(sa_type).items())))
        hash(key)
    except TypeError:  # unhashable attributes (an ARRAY's item type...): compile each time
        key = None
    found = _NATIVE.get(key) if key is not None else None
    if found is not None:
        return found
    try:
        native = str(sa_type)
    except Exception:  # noqa: BLE001 - some types cannot compile without a dialect
        native = type(sa_type).__name__
    if key is not None and len(_NATIVE) < 10_000:
        _NATIVE[key] = native
    return native


class DuckDBIntrospector(SAIntrospector):
    """DuckDB through its ``duckdb_*()`` metadata functions (current database only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._schema: str | None = None
        self._relations: dict[str, RelationInfo] = {}

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

    def relation_names(self, schema: str, include_views: bool) -> list[tuple[str, str]]:
        """``[(name, "table"|"view"), ...]`` of ``schema``, sorted by name."""
        if self._schema != schema:
            self._schema = schema
            self._relations = {r.name: r for r in self.describe_schema(schema, include_views)}
        return sorted((r.name, r.type) for r in self._relations.values())

    def describe(self, schema: str, names: list[tuple[str, str]], report) -> list[RelationInfo]:
        """The relations ``names`` of ``schema`` (DuckDB files are small: the schema is
        read once by :meth:`relation_names` and handed out in chunks)."""
        if self._schema != schema:
            self.relation_names(schema, True)
        return [self._relations[name] for name, _ in names if name in self._relations]

    def columns_of(self, schema: str, table: str) -> dict[str, str]:
        """``{column: type}`` of one table of ``schema`` (for view lineage)."""
        rows = self._rows(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
            "current_database() AND schema_name = :s AND table_name = :t ORDER BY column_index",
            s=schema,
            t=table,
        )
        return {r["column_name"]: r["data_type"] for r in rows}

    def describe_schema(self, schema: str, include_views: bool) -> list[RelationInfo]:
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


class SQLiteIntrospector(SAIntrospector):
    """SQLite through ``sqlite_master`` and the ``pragma_*`` table-valued functions: one
    query per chunk for columns and one for foreign keys (SQLAlchemy's inspector reads
    ``sqlite_master`` once per table per kind, quadratic in the number of tables). Types
    resolve as SQLAlchemy resolves them, so results equal the inspector's."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self._types: dict[str, tuple[object, str]] = {}

    def relation_names(self, schema: str, include_views: bool) -> list[tuple[str, str]]:
        """``[(name, "table"|"view"), ...]`` of ``schema`` (``main`` or an attached one)."""
        kinds = "('table', 'view')" if include_views else "('table')"
        master = f"{self._quote(schema)}.sqlite_master"
        rows = self.conn.exec_driver_sql(
            f"SELECT name, type FROM {master} WHERE type IN {kinds} "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        ).all()
        return [(name, kind) for name, kind in rows]

    def _quote(self, name: str) -> str:
        return self.conn.dialect.identifier_preparer.quote(name)

    def _sa_type(self, declared: str) -> tuple[object, str]:
        """``(SQLAlchemy type, its native string)`` of a declared type (cached: a source
        has few distinct types)."""
        found = self._types.get(declared)
        if found is None:
            sa_type = self.conn.dialect._resolve_type_affinity(declared)
            found = self._types[declared] = (sa_type, _native(sa_type))
        return found

    def describe(self, schema: str, names: list[tuple[str, str]], report) -> list[RelationInfo]:
        """The relations ``names`` of ``schema``: two queries for the whole chunk; when
        they fail (a view over a dropped table), relation by relation, and a relation
        that still fails is reported (``cannot introspect``) and skipped."""
        try:
            return self._describe(schema, names)
        except Exception:  # noqa: BLE001 - isolate the bad relation below
            self.recover()
        described = []
        for name in names:
            try:
                described += self._describe(schema, [name])
            except Exception as exc:  # noqa: BLE001
                self.recover()
                if report is not None:
                    report.error(f"{schema}.{name[0]}", f"cannot introspect: {_reason(exc)}")
        return described

    def _describe(self, schema: str, names: list[tuple[str, str]]) -> list[RelationInfo]:
        relations = {name: RelationInfo(schema, name, kind) for name, kind in names}
        master = f"{self._quote(schema)}.sqlite_master"
        marks = ", ".join("?" * len(relations))
        params = tuple(relations)
        pragma_schema = schema.replace("'", "''")
        rows = self.conn.exec_driver_sql(
            f'SELECT m.name, m.sql, p.name, p.type, p."notnull", p.pk, p.hidden '
            f"FROM {master} m JOIN pragma_table_xinfo(m.name, '{pragma_schema}') p "
            f"WHERE m.name IN ({marks}) ORDER BY m.name, p.cid",
            params,
        ).all()
        pk: dict[str, list[tuple[int, str]]] = {}
        for table, sql, column, declared, notnull, pk_pos, hidden in rows:
            rel = relations[table]
            if hidden == 1:  # a virtual table's hidden column
                continue
            sa_type, native = self._sa_type(declared or "")
            rel.columns.append(ColumnInfo(column, native, sa_type, not notnull, ""))
            if pk_pos:
                pk.setdefault(table, []).append((pk_pos, column))
            if rel.type == "view" and not rel.view_definition:
                rel.view_definition = sql or ""
        for table, columns in pk.items():
            relations[table].primary_key = [c for _, c in sorted(columns)]
        fks = self.conn.exec_driver_sql(
            f'SELECT m.name, f.id, f."table", f."from", f."to" '
            f"FROM {master} m JOIN pragma_foreign_key_list(m.name, '{pragma_schema}') f "
            f"WHERE m.type = 'table' AND m.name IN ({marks}) ORDER BY m.name, f.id, f.seq",
            params,
        ).all()
        grouped: dict[tuple[str, int], dict] = {}
        for table, fk_id, target, column, ref in fks:
            fk = grouped.get((table, fk_id))
            if fk is None:
                fk = grouped[(table, fk_id)] = {
                    "columns": [],
                    "schema": schema,
                    "table": target,
                    "ref_columns": [],
                }
                relations[table].foreign_keys.append(fk)
            fk["columns"].append(column)
            if ref is not None:
                fk["ref_columns"].append(ref)
        for fk in grouped.values():
            if not fk["ref_columns"]:  # REFERENCES parent: the parent's primary key
                fk["ref_columns"] = self._primary_key(schema, fk["table"])
        self.end_transaction()
        return list(relations.values())

    def _primary_key(self, schema: str, table: str) -> list[str]:
        rows = self.conn.exec_driver_sql(
            "SELECT name, pk FROM pragma_table_info(?, ?) WHERE pk > 0 ORDER BY pk",
            (table, schema),
        ).all()
        return [name for name, _ in rows]

    def columns_of(self, schema: str, table: str) -> dict[str, str]:
        """``{column: native type}`` of one table (for view lineage); {} if unknown."""
        try:
            found = self._describe(schema, [(table, "table")])
        except Exception:  # noqa: BLE001 - a missing or unreadable table: no columns
            self.recover()
            return {}
        return {c.name: c.native_type for c in found[0].columns} if found else {}
