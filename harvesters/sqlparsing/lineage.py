"""Table- and column-level lineage of SQL text, built on sqlglot.

Shared by the ``sql`` harvester (view definitions), the ``dbt`` harvester (compiled
model SQL) and the OpenLineage intake (the ``sql`` job facet). One call,
:func:`parse_sql_lineage`, parses a script, qualifies each statement **once** with
``sqlglot.optimizer.qualify`` (default catalog/schema, optional schema for ``*``
expansion), builds its scope tree once and resolves every output column through CTEs,
derived tables, set operations and scalar subqueries to the physical table columns it
is computed from (OpenLineage columnLineage ``DIRECT`` semantics: columns in the
projection expression, not in WHERE/JOIN/GROUP BY).

Names: tables come back as ``catalog.schema.table`` (as many parts as are known after
qualification with the defaults), in the dialect's normalised case (unquoted identifiers
lower-cased for PostgreSQL, DuckDB, SQLite...), except that when ``schema`` knows a
table or column under another case its spelling from ``schema`` is used, so lineage
matches harvested names such as SQLite's ``Chinook_Sqlite.main.Album``.

Never raises: unparseable SQL yields an empty lineage and a message in ``errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

MAX_ERROR_CHARS = 300


@dataclass(slots=True, frozen=True)
class ColumnSource:
    """One source column: ``table`` qualified ``db.schema.table``, ``column`` its name."""

    table: str
    column: str


@dataclass(slots=True)
class SqlLineage:
    """What a SQL script reads and writes.

    * ``inputs`` — qualified names of the tables/views read (CTE names excluded), in
      first-seen order, without duplicates;
    * ``outputs`` — tables written (INSERT/CREATE TABLE|VIEW AS/MERGE/UPDATE target);
      empty for a plain SELECT;
    * ``columns`` — output column name → the source columns it derives from directly;
    * ``errors`` — human-readable problems (parse failures, ``*`` that could not be
      expanded for lack of a schema, ...). Never raised.
    """

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    columns: dict[str, list[ColumnSource]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_sql_lineage(
    sql: str,
    dialect: str | None = None,
    default_database: str | None = None,
    default_schema: str | None = None,
    schema: dict | None = None,
) -> SqlLineage:
    """Return the :class:`SqlLineage` of ``sql`` (one or more ``;``-separated statements).

    ``dialect`` is a sqlglot dialect name ("postgres", "duckdb", "sqlite", "snowflake";
    None = generic). ``default_database``/``default_schema`` qualify table names written
    with fewer parts. ``schema`` is sqlglot's nested mapping
    ``{database: {schema: {table: {column: type}}}}``; with it ``select *`` expands and
    unqualified columns in joins resolve. Problems are returned in ``errors``; this
    function never raises.
    """
    result = SqlLineage()
    if not sql or not sql.strip():
        result.errors.append("empty SQL")
        return result
    try:
        statements = sqlglot.parse(sql, dialect=dialect)
    except sqlglot.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        reason = first.get("description") or _short(exc)
        result.errors.append(f"could not parse: {reason}{where}")
        return result
    except SqlglotError as exc:
        result.errors.append(f"could not parse: {_short(exc)}")
        return result
    except Exception as exc:  # noqa: BLE001 - sqlglot can fail in unexpected ways
        result.errors.append(f"could not parse: {type(exc).__name__}: {_short(exc)}")
        return result
    index = _schema_index(schema) if schema else None
    for statement in statements:
        if statement is None:
            continue
        try:
            # Only the tables this statement mentions are handed to sqlglot, so the cost
            # of a call does not grow with the size of ``schema``.
            subset = index.subset(statement, default_database, default_schema) if index else {}
            names = _NameMap(subset)
            _statement_lineage(
                statement,
                dialect,
                default_database,
                default_schema,
                subset or None,
                names,
                result,
            )
        except Exception as exc:  # noqa: BLE001 - one bad statement never aborts the rest
            result.errors.append(
                f"could not analyse statement {_head(statement, dialect)!r}: {_short(exc)}"
            )
    return result


# -- helpers ----------------------------------------------------------------------------


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


def _table_name(table: exp.Table, names: _NameMap) -> str:
    parts = [p.name for p in table.parts if isinstance(p, exp.Identifier | exp.Var)]
    return names.table(".".join(p for p in parts if p))


def _statement_lineage(
    statement: exp.Expr,
    dialect: str | None,
    default_database: str | None,
    default_schema: str | None,
    schema: dict | None,
    names: _NameMap,
    result: SqlLineage,
) -> None:
    """Add one statement's inputs, outputs and column lineage to ``result``."""
    target: exp.Table | None = None
    query: exp.Expr | None = None
    if isinstance(statement, exp.Query):
        query = statement
    elif isinstance(statement, exp.Create):
        kind = (statement.args.get("kind") or "").upper()
        if kind not in {"TABLE", "VIEW", "MATERIALIZED VIEW"} and kind != "":
            return
        target = statement.this.find(exp.Table) if statement.this else None
        if isinstance(statement.expression, exp.Query):
            query = statement.expression
    elif isinstance(statement, exp.Insert):
        target = statement.this.find(exp.Table) if statement.this else None
        if isinstance(statement.expression, exp.Query):
            query = statement.expression
    elif isinstance(statement, exp.Command):
        text = statement.sql(dialect=dialect)
        result.errors.append(f"could not parse: unsupported syntax in {text[:80]!r}")
        return
    elif isinstance(statement, exp.Merge | exp.Update | exp.Delete):
        target = statement.this.find(exp.Table) if statement.this else None
    else:
        return  # DDL without a query, SET, USE...: nothing flows

    defaults = {"db": default_schema, "catalog": default_database}
    if target is not None:
        _qualify_table(target, default_database, default_schema, dialect)
        _add_unique(result.outputs, _table_name(target, names))
    if query is None:
        # DML without a SELECT: every other table the statement mentions is read.
        target_name = result.outputs[-1] if target is not None else ""
        for table in _physical_tables(statement, defaults, dialect):
            name = _table_name(table, names)
            if name != target_name:
                _add_unique(result.inputs, name)
        return

    original_names = _original_names(query)
    try:
        qualified = qualify(
            query,
            dialect=dialect,
            db=default_schema,
            catalog=default_database,
            schema=schema,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
    except Exception:  # noqa: BLE001 - e.g. correlated subquery over unknown tables
        # Qualify tables only; unqualified columns are then attributed by _Resolver.
        qualified = qualify(
            query,
            dialect=dialect,
            db=default_schema,
            catalog=default_database,
            qualify_columns=False,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
    root = build_scope(qualified)
    if root is None:
        for table in _physical_tables(qualified, {}, dialect):
            _add_unique(result.inputs, _table_name(table, names))
        return
    for scope in root.traverse():
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and source.name:
                _add_unique(result.inputs, _table_name(source, names))
    resolver = _Resolver(names)
    explicit = _explicit_column_names(statement)
    selects = _selects(root)
    if not explicit and original_names and len(original_names) == len(selects):
        explicit = original_names
    target_name = result.outputs[-1] if target is not None else ""
    for index, select in enumerate(selects):
        name = select.alias_or_name
        if isinstance(select, exp.Star) or (isinstance(select, exp.Column) and select.is_star):
            stars = ", ".join(sorted({s.table for s in resolver.sources_of(root, select)}))
            result.errors.append(
                f"cannot expand * over {stars or 'unknown tables'} without their schema"
            )
            continue
        if explicit and index < len(explicit):
            name = explicit[index]
        elif target_name:
            name = names.column(target_name, name)
        if not name:
            continue
        sources = resolver.resolve_position(root, index)
        named_by_caller = bool(explicit) and index < len(explicit)
        if not named_by_caller and len(sources) == 1 and sources[0].column.lower() == name.lower():
            name = sources[0].column  # ``*`` expanded in normalised case: source's spelling
        merged = result.columns.setdefault(name, [])
        for src in sources:
            if src not in merged:
                merged.append(src)


def _qualify_table(table: exp.Table, catalog: str | None, db: str | None, dialect) -> None:
    """Give ``table`` the default catalog/schema it is missing (in place)."""
    if db and not table.args.get("db"):
        table.set("db", exp.to_identifier(db))
    if catalog and not table.args.get("catalog") and table.args.get("db"):
        table.set("catalog", exp.to_identifier(catalog))


def _physical_tables(statement: exp.Expr, defaults: dict, dialect) -> list[exp.Table]:
    """Tables mentioned in ``statement`` that are not CTE names."""
    cte_names = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    tables = []
    for table in statement.find_all(exp.Table):
        if not table.args.get("db") and table.name.lower() in cte_names:
            continue
        if not table.name:
            continue
        if defaults:
            _qualify_table(table, defaults.get("catalog"), defaults.get("db"), dialect)
        tables.append(table)
    return tables


def _explicit_column_names(statement: exp.Expr) -> list[str]:
    """Column names given by ``CREATE VIEW v (a, b)`` / ``INSERT INTO t (a, b)``."""
    this = statement.args.get("this") if isinstance(statement, exp.Create | exp.Insert) else None
    if isinstance(this, exp.Schema):
        return [e.name for e in this.expressions if isinstance(e, exp.Identifier | exp.ColumnDef)]
    return []


def _original_names(query: exp.Expr) -> list[str]:
    """Output names as written (before case normalisation); [] if a ``*`` hides some."""
    left = query
    while isinstance(left, exp.SetOperation):
        left = left.left
    if not isinstance(left, exp.Select):
        return []
    names = []
    for select in left.selects:
        if isinstance(select, exp.Star) or (isinstance(select, exp.Column) and select.is_star):
            return []
        names.append(select.alias_or_name)
    return names


def _selects(scope: Scope) -> list[exp.Expr]:
    expression = scope.expression
    if isinstance(expression, exp.SetOperation):
        left = expression
        while isinstance(left, exp.SetOperation):
            left = left.left
        return list(left.selects)
    return list(expression.selects)


class _Resolver:
    """Resolves projection expressions to physical source columns, memoised per scope."""

    def __init__(self, names: _NameMap) -> None:
        self.names = names
        self.memo: dict[tuple[int, str], list[ColumnSource]] = {}
        # The tree no longer changes while resolving: names of tables and the subquery
        # scopes of each scope are computed once (keyed by id, the objects kept alive).
        self._tables: dict[int, tuple[exp.Table, str]] = {}
        self._subqueries: dict[int, tuple[Scope, dict[int, Scope]]] = {}

    def table_name(self, table: exp.Table) -> str:
        """:func:`_table_name` of ``table``, memoised."""
        cached = self._tables.get(id(table))
        if cached is None or cached[0] is not table:
            cached = self._tables[id(table)] = (table, _table_name(table, self.names))
        return cached[1]

    def subqueries(self, scope: Scope) -> dict[int, Scope]:
        """``{id(subquery expression): its scope}`` of ``scope``, memoised."""
        cached = self._subqueries.get(id(scope))
        if cached is None or cached[0] is not scope:
            subs = {id(s.expression): s for s in scope.subquery_scopes}
            cached = self._subqueries[id(scope)] = (scope, subs)
        return cached[1]

    # A column of a scope, by name (or a set-operation branch by position).
    def resolve_column(self, scope: Scope, name: str) -> list[ColumnSource]:
        key = (id(scope), name)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = []  # recursion guard (recursive CTEs)
        found: list[ColumnSource] = []
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            position = next(
                (i for i, s in enumerate(_selects(scope)) if s.alias_or_name == name), None
            )
            if position is not None:
                found = self.resolve_position(scope, position)
        elif isinstance(expression, exp.Select):
            select = next((s for s in expression.selects if s.alias_or_name == name), None)
            if select is not None and not (isinstance(select, exp.Column) and select.is_star):
                found = self.resolve_select(scope, select)
            elif expression.is_star:
                # An unexpanded * (unknown schema): the column passes through a source.
                for source_name in scope.selected_sources:
                    _extend(found, self._from_source(scope, source_name, name))
        self.memo[key] = found
        return found

    def resolve_position(self, scope: Scope, position: int) -> list[ColumnSource]:
        """Source columns of the ``position``-th output column (0-based) of ``scope``."""
        if isinstance(scope.expression, exp.SetOperation):
            found: list[ColumnSource] = []
            for branch in scope.set_operation_scopes:
                _extend(found, self.resolve_position(branch, position))
            return found
        selects = _selects(scope)
        if position >= len(selects):
            return []
        return self.resolve_select(scope, selects[position])

    def resolve_select(self, scope: Scope, select: exp.Expr) -> list[ColumnSource]:
        """Source columns of one projection expression of ``scope``."""
        found: list[ColumnSource] = []
        subqueries = self.subqueries(scope)
        stack = [select]
        while stack:
            node = stack.pop()
            if isinstance(node, exp.Column):
                if node.is_star:
                    continue
                _extend(found, self._column(scope, node))
                continue
            if isinstance(node, exp.If | exp.Window | exp.Filter):
                # CASE WHEN conditions, window partitions/orders and aggregate FILTERs
                # only select rows: INDIRECT lineage, not DIRECT.
                stack.extend(reversed(_direct_parts(node)))
                continue
            if isinstance(node, exp.Query) and id(node) in subqueries:
                sub = subqueries[id(node)]
                for sub_select in _selects(sub):
                    _extend(found, self.resolve_select(sub, sub_select))
                continue
            stack.extend(reversed(list(node.iter_expressions())))
        return found

    def sources_of(self, scope: Scope, star: exp.Expr) -> list[ColumnSource]:
        """The tables an unexpanded ``*`` of ``scope`` reads (for error messages)."""
        tables = []
        for inner in scope.traverse():
            for source in inner.sources.values():
                if isinstance(source, exp.Table):
                    tables.append(ColumnSource(_table_name(source, self.names), "*"))
        return tables

    def _column(self, scope: Scope, column: exp.Column) -> list[ColumnSource]:
        if column.table:
            return self._from_source(scope, column.table, column.name)
        # Unqualified and not resolvable by qualify (no schema, several sources):
        # attribute it to every source that may have it.
        found: list[ColumnSource] = []
        for source_name in scope.selected_sources:
            if self._may_have(scope, source_name, column.name):
                _extend(found, self._from_source(scope, source_name, column.name))
        return found

    def _from_source(self, scope: Scope, source_name: str, column: str) -> list[ColumnSource]:
        source = scope.sources.get(source_name)
        if source is None:
            selected = scope.selected_sources.get(source_name)
            source = selected[1] if selected else None
        if isinstance(source, exp.Table) and source.name:
            table = self.table_name(source)
            return [ColumnSource(table, self.names.column(table, column))]
        if isinstance(source, Scope):
            return self.resolve_column(source, column)
        return []  # UDTF, VALUES, UNNEST...: no table column behind it

    def _may_have(self, scope: Scope, source_name: str, column: str) -> bool:
        source = scope.sources.get(source_name)
        if isinstance(source, exp.Table):
            table = self.table_name(source)
            known = self.names.columns.get(table.lower())
            return known is None or column.lower() in known
        if isinstance(source, Scope):
            expression = source.expression
            if isinstance(expression, exp.Select) and not expression.is_star:
                return any(s.alias_or_name == column for s in expression.selects)
            return True
        return False


def _direct_parts(node: exp.Expr) -> list[exp.Expr]:
    """The sub-expressions of a CASE branch / window / FILTER that carry values."""
    if isinstance(node, exp.If):
        return [e for e in (node.args.get("true"), node.args.get("false")) if e is not None]
    return [node.this] if node.this is not None else []


def _extend(target: list[ColumnSource], items: list[ColumnSource]) -> None:
    for item in items:
        if item not in target:
            target.append(item)
