"""Table- and column-level lineage of SQL text, built on sqlglot.

Shared by the ``sql`` harvester (view definitions), the ``dbt`` harvester (compiled
model SQL) and the OpenLineage intake (the ``sql`` job facet). One call,
:func:`parse_sql_lineage`, parses a script (stored procedures and scripts included:
:mod:`harvesters.sqlparsing.script`), analyses each statement
(:mod:`harvesters.sqlparsing.statements`: SELECT [INTO], CREATE … AS, INSERT, UPDATE …
FROM, MERGE, COPY, UNLOAD, LOAD, ALTER … RENAME/SWAP), qualifies its query once
(:mod:`harvesters.sqlparsing.query`) with
``sqlglot.optimizer.qualify`` (default catalog/schema, optional schema for ``*``
expansion and unqualified columns), and resolves every written column through CTEs,
derived tables, set operations, LATERAL and subqueries to the physical columns it comes
from, each edge typed as in OpenLineage's column-lineage facet
(:mod:`harvesters.sqlparsing.columns`: DIRECT IDENTITY/TRANSFORMATION/AGGREGATION,
INDIRECT FILTER/JOIN/GROUP_BY/SORT/WINDOW/CONDITIONAL).

Names: tables come back as ``catalog.schema.table`` (as many parts as are known after
qualification with the defaults), in the dialect's normalised case (unquoted identifiers
lower-cased for PostgreSQL, DuckDB, SQLite...), except that when ``schema`` knows a
table or column under another case its spelling from ``schema`` is used, so lineage
matches harvested names such as SQLite's ``Chinook_Sqlite.main.Album``. Files, URIs
and stages (``s3://…``, ``/data/x.csv``, ``@stage/path``) are datasets named by the path.
The output of an unaliased expression is named by its SQL text (``MAX(x)``); a ``*``
over a table whose columns are unknown gives the edge ``t.* → *``.

Never raises: what cannot be parsed or analysed is named with the reason in ``errors``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from harvesters.sqlparsing.query import Context, StatementLineage, dataset_name, qualify_table
from harvesters.sqlparsing.script import command_lineage, rewrite_for_parser, split_statements
from harvesters.sqlparsing.statements import statement_lineage

MAX_ERROR_CHARS = 300


class _CommandFallbackFilter(logging.Filter):
    """Drops sqlglot's warning that it keeps a statement as an opaque command: every
    such statement is read here (procedures, UNLOAD...) or reported in ``errors``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_CommandFallbackFilter())


@dataclass(slots=True, frozen=True)
class ColumnSource:
    """One source column: ``table`` qualified ``db.schema.table``, ``column`` its name;
    ``subtype`` (not part of equality) is the DIRECT subtype (IDENTITY, TRANSFORMATION,
    AGGREGATION)."""

    table: str
    column: str
    transformation: str = field(default="DIRECT", compare=False)
    subtype: str = field(default="", compare=False)


@dataclass(slots=True, frozen=True)
class ColumnEdge:
    """One column-level edge: ``source_table.source_column`` feeds
    ``target_table.target_column`` (``target_table`` "" for the result of a plain
    SELECT). ``transformation`` is ``DIRECT`` or ``INDIRECT`` and ``subtype`` one of
    IDENTITY, TRANSFORMATION, AGGREGATION (DIRECT) or FILTER, JOIN, GROUP_BY, SORT,
    WINDOW, CONDITIONAL (INDIRECT), as in OpenLineage's column-lineage facet
    (https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json)."""

    source_table: str
    source_column: str
    target_table: str
    target_column: str
    transformation: str = "DIRECT"
    subtype: str = ""


@dataclass(slots=True)
class SqlLineage:
    """What a SQL script reads and writes.

    * ``inputs`` — qualified names of the tables/views/paths read (CTE names excluded),
      in first-seen order, without duplicates;
    * ``outputs`` — tables/paths written (INSERT, CREATE TABLE|VIEW AS, MERGE, UPDATE,
      SELECT INTO, COPY, UNLOAD, ALTER … RENAME); empty for a plain SELECT;
    * ``column_lineage`` — every column edge, DIRECT and INDIRECT, with its target table
      (:class:`ColumnEdge`); an unqualified column several tables may have is left out
      and reported in ``errors``;
    * ``columns`` — (kept for callers of the first version) written column name → the
      source columns of its DIRECT edges, over all statements; an ambiguous unqualified
      column is credited to every table that may have it here;
    * ``errors`` — human-readable problems (a statement that could not be parsed or is
      not supported, ``*`` over tables of unknown schema, ambiguous columns). Never raised.
    """

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    columns: dict[str, list[ColumnSource]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    column_lineage: list[ColumnEdge] = field(default_factory=list)


def field_edges(lineage: SqlLineage, indirect: bool = False) -> list[tuple[str, ColumnSource]]:
    """``[(written column, source)]`` for harvesters that store field lineage.

    ``indirect`` False: the DIRECT edges of ``lineage.columns`` (with their subtype), as
    stored since the first version; True (setting ``MESH_SQL_INDIRECT_LINEAGE``): every
    edge of ``lineage.column_lineage``, DIRECT and INDIRECT, ambiguous columns left out.
    """
    if not indirect:
        return [(column, src) for column, sources in lineage.columns.items() for src in sources]
    return [
        (
            e.target_column,
            ColumnSource(e.source_table, e.source_column, e.transformation, e.subtype),
        )
        for e in lineage.column_lineage
        if e.source_column != "*" and e.target_column != "*"
    ]


def parse_sql_lineage(
    sql: str,
    dialect: str | None = None,
    default_database: str | None = None,
    default_schema: str | None = None,
    schema: dict | None = None,
) -> SqlLineage:
    """Return the :class:`SqlLineage` of ``sql`` (one or more statements, a script or a
    stored procedure).

    ``dialect`` is a sqlglot dialect name ("postgres", "duckdb", "sqlite", "snowflake",
    "tsql", "oracle", "bigquery", "hive", "spark"...; None = generic).
    ``default_database``/``default_schema`` qualify table names written with fewer
    parts. ``schema`` is sqlglot's nested mapping ``{database: {schema: {table: {column:
    type}}}}``; with it ``*`` expands, unqualified columns in joins resolve and an INSERT
    without a column list maps by position onto the target's columns. Problems are
    returned in ``errors``; this function never raises.
    """
    result = SqlLineage()
    if not sql or not sql.strip():
        result.errors.append("empty SQL")
        return result
    index = _schema_index(schema) if schema else None
    defaults = {"catalog": default_database, "db": default_schema}  # USE changes them
    statements, error = _parse(sql, dialect)
    if statements is not None and not any(_needs_script_split(s) for s in statements):
        for statement in statements:
            _analyse(statement, dialect, defaults, index, result)
        return result
    try:
        pieces = split_statements(sql, dialect)
    except Exception:  # noqa: BLE001 - untokenizable text: report the parse error
        pieces = []
    if not pieces:
        if statements is None:
            result.errors.append(error or "could not parse: no SQL statement found")
        for statement in statements or []:
            _analyse(statement, dialect, defaults, index, result)
        return result
    for text, in_body, variables in pieces:
        _analyse_text(text, dialect, defaults, index, result, in_body, variables)
    if error and not (result.inputs or result.outputs or result.column_lineage or result.errors):
        result.errors.append(error)  # nothing readable came out of unparseable text
    return result


# -- helpers ----------------------------------------------------------------------------


def _parse(sql: str, dialect: str | None) -> tuple[list | None, str]:
    """(statements, "") or (None, the reason it could not be parsed)."""
    try:
        return [s for s in sqlglot.parse(sql, dialect=dialect) if s is not None], ""
    except sqlglot.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        reason = first.get("description") or _short(exc)
        return None, f"could not parse: {reason}{where}"
    except SqlglotError as exc:
        return None, f"could not parse: {_short(exc)}"
    except Exception as exc:  # noqa: BLE001 - sqlglot can fail in unexpected ways
        return None, f"could not parse: {type(exc).__name__}: {_short(exc)}"


def _needs_script_split(statement: exp.Expr) -> bool:
    if isinstance(statement, exp.Command | exp.Block):
        return True
    if isinstance(statement, exp.Create):
        kind = (statement.args.get("kind") or "").upper()
        return kind in {"PROCEDURE", "PROC", "FUNCTION", "TRIGGER"}
    return False


def _analyse_text(
    text, dialect, defaults, index, result: SqlLineage, in_body: bool, variables=frozenset()
) -> None:
    """Parse and analyse one statement cut out of a script."""
    statements, error = _parse(text, dialect)
    if statements is None or (statements and isinstance(statements[0], exp.Command)):
        rewritten = rewrite_for_parser(text)
        if rewritten:
            statements = _parse(rewritten, dialect)[0] or statements
    if statements is None:
        command = command_lineage(text)
        if command is None:
            result.errors.append(f"{error} in {text[:80]!r}")
            return
        statements = [exp.Command(this=text)]
    for statement in statements:
        _analyse(statement, dialect, defaults, index, result, in_body, text, variables)


def _analyse(
    statement, dialect, defaults, index, result, in_body=False, text=None, variables=frozenset()
) -> None:
    """Add one statement's lineage to ``result``; its failure is an error, never raised.
    ``defaults`` ``{catalog, db}`` are the default database/schema, changed by ``USE``."""
    if isinstance(statement, exp.Use):
        _use(statement, dialect, defaults)
        return
    catalog, db = defaults["catalog"], defaults["db"]
    try:
        subset = index.subset(statement, catalog, db) if index else {}
        ctx = Context(dialect, catalog, db, subset or None, _NameMap(subset), in_body)
        ctx.variables = variables
        if isinstance(statement, exp.Command):
            _command(text or statement.sql(dialect=dialect), ctx, result)
            return
        found = statement_lineage(statement, ctx)
        if found.body is not None:
            for inner in found.body.expressions:
                _analyse(inner, dialect, defaults, index, result, True)
            return
        if in_body:  # a result set a procedure returns is no dataset
            found.edges = [e for e in found.edges if e[0]]
        _merge(found, result)
    except Exception as exc:  # noqa: BLE001 - one bad statement never aborts the rest
        result.errors.append(
            f"could not analyse statement {_head(statement, dialect)!r}: {_short(exc)}"
        )


_DATABASE_FIRST = {"tsql", "snowflake", "fabric"}


def _use(statement: exp.Use, dialect: str | None, defaults: dict) -> None:
    """``USE x`` / ``USE SCHEMA d.s`` / ``USE DATABASE d``: new default names."""
    table = statement.this
    if not isinstance(table, exp.Table) or not table.name:
        return
    kind = (statement.text("kind") or "").upper()
    if kind not in {"", "DATABASE", "CATALOG", "SCHEMA"}:
        return  # USE WAREHOUSE / ROLE (Snowflake): not a namespace
    if table.db:  # USE catalog.schema
        defaults["catalog"], defaults["db"] = table.db, table.name
    elif kind in {"DATABASE", "CATALOG"} or (not kind and (dialect or "") in _DATABASE_FIRST):
        defaults["catalog"] = table.name
    else:  # USE db (Hive, Spark, MySQL: one level of schemas), USE SCHEMA s
        defaults["db"] = table.name


def _command(text: str, ctx: Context, result: SqlLineage) -> None:
    """UNLOAD / RENAME TABLE / EXCHANGE PARTITION, or an error naming the statement."""
    found = command_lineage(text)
    if found is None:
        result.errors.append(f"unsupported statement, no lineage read from {text[:80]!r}")
        return
    query, inputs, outputs = found
    lineage = StatementLineage()
    if query:
        statements, error = _parse(query, ctx.dialect)
        if statements is None:
            result.errors.append(f"{error} in {query[:80]!r}")
            return
        for statement in statements:
            inner = statement_lineage(statement, ctx)
            lineage.inputs += inner.inputs
            lineage.errors += inner.errors
    for name in inputs:
        lineage.inputs.append(_table(name, ctx))
    for name in outputs:
        lineage.outputs.append(name if "/" in name or ":" in name else _table(name, ctx))
    _merge(lineage, result)


def _table(name: str, ctx: Context) -> str:
    table = exp.to_table(name, dialect=ctx.dialect)
    qualify_table(table, ctx.catalog, ctx.db)
    return dataset_name(table, ctx.names)


def _merge(found: StatementLineage, result: SqlLineage) -> None:
    for name in found.outputs:
        _add_unique(result.outputs, name)
    for name in found.inputs:
        _add_unique(result.inputs, name)
    for column, edges in found.columns.items():
        merged = result.columns.setdefault(column, [])
        present = set(merged)
        for table, source_column, kind, subtype, _ in edges:
            src = ColumnSource(table, source_column, kind, subtype)
            if src not in present:
                present.add(src)
                merged.append(src)
    present_edges = set(result.column_lineage)
    for target, column, (table, source_column, kind, subtype, _) in found.edges:
        edge = ColumnEdge(table, source_column, target, column, kind, subtype)
        if edge not in present_edges:
            present_edges.add(edge)
            result.column_lineage.append(edge)
    for error in found.errors:
        _add_unique(result.errors, error)


def _short(exc: object) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _head(statement: exp.Expr, dialect: str | None) -> str:
    try:
        text = statement.sql(dialect=dialect)
    except Exception:  # noqa: BLE001
        text = type(statement).__name__
    return text[:60]


def _add_unique(target: list[str], value: str) -> None:
    if value and value not in target:
        target.append(value)


class _SchemaIndex:
    """Case-insensitive index of a nested schema mapping: ``a.b.c`` → (path, columns)."""

    def __init__(self, schema: dict) -> None:
        self.depth = 0
        self.entries: dict[str, tuple[tuple[str, ...], dict]] = {}
        self._collect(schema, ())

    def _collect(self, node: dict, path: tuple[str, ...]) -> None:
        for key, value in node.items():
            if not isinstance(value, dict):
                continue
            if value and all(isinstance(v, dict) for v in value.values()):
                self._collect(value, (*path, str(key)))
            else:  # a table: {column: type}
                full = (*path, str(key))
                self.depth = max(self.depth, len(full))
                self.entries.setdefault(".".join(full).lower(), (full, value))

    def subset(self, statement: exp.Expr, catalog: str | None, db: str | None) -> dict:
        """The part of the schema naming tables that ``statement`` mentions."""
        found: dict = {}
        for table in statement.find_all(exp.Table):
            parts = (
                [
                    table.catalog or catalog or "",
                    table.db or db or "",
                    table.name,
                ][-self.depth :]
                if self.depth
                else []
            )
            entry = self.entries.get(".".join(parts).lower()) if all(parts) else None
            if entry is None:
                continue
            path, columns = entry
            node = found
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = columns
        return found


_INDEX_CACHE: dict[int, tuple[dict, _SchemaIndex]] = {}


def _schema_index(schema: dict) -> _SchemaIndex:
    """The index of ``schema``, cached while the same dict object is passed again."""
    cached = _INDEX_CACHE.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    index = _SchemaIndex(schema)
    if len(_INDEX_CACHE) >= 8:
        _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
    _INDEX_CACHE[id(schema)] = (schema, index)
    return index


class _NameMap:
    """Maps lower-cased table/column names back to their spelling in ``schema``."""

    def __init__(self, schema: dict | None) -> None:
        self.tables: dict[str, str] = {}
        self.columns: dict[str, dict[str, str]] = {}
        if schema:
            self._collect(schema, [])

    def _collect(self, node: dict, path: list[str]) -> None:
        for key, value in node.items():
            if (
                isinstance(value, dict)
                and value
                and all(isinstance(v, dict) for v in value.values())
            ):
                self._collect(value, [*path, str(key)])
            elif isinstance(value, dict):  # a table: {column: type}
                name = ".".join([*path, str(key)])
                self.tables.setdefault(name.lower(), name)
                self.columns.setdefault(name.lower(), {str(c).lower(): str(c) for c in value})

    def table(self, name: str) -> str:
        return self.tables.get(name.lower(), name)

    def column(self, table: str, column: str) -> str:
        return self.columns.get(table.lower(), {}).get(column.lower(), column)
