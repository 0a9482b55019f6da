"""One statement's lineage for :mod:`harvesters.sqllineage`: what it reads and writes and
how each written column derives from read columns.

Handled: SELECT (``SELECT … INTO`` writes a table), CREATE TABLE/VIEW [AS], INSERT
(column list, position mapping onto a known target schema, ``INSERT OVERWRITE
DIRECTORY``), UPDATE [FROM/JOIN], MERGE, DELETE, COPY (Snowflake ``COPY INTO``,
PostgreSQL/Redshift ``COPY``), ``LOAD DATA``, ``ALTER TABLE … RENAME TO / SWAP WITH``,
procedure bodies sqlglot parses into a block. ``WITH`` clauses written before an
INSERT/UPDATE/MERGE are applied to its query. File paths and stage locations
(``'s3://…'``, ``read_parquet('…')``, ``parquet.`/path```, ``@stage/…``) are datasets named by
the path itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import NormalizationStrategy
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

from harvesters.sqllineage_columns import (
    DIRECT,
    INDIRECT,
    Edge,
    Resolver,
    add_edges,
    is_star,
    selects_of,
)

_PATH_FUNCTIONS = {
    "readparquet", "readcsv", "readjson", "read_parquet", "read_csv", "read_csv_auto",
    "read_json", "read_json_auto", "read_ndjson", "parquet_scan", "read_text", "read_blob",
    "openrowset", "files", "external_query",
}  # fmt: skip
_VARIABLE_DIALECTS = {"oracle", "mysql", "bigquery", "snowflake", "postgres", "redshift"}


@dataclass
class Context:
    """What every statement of a script is analysed with."""

    dialect: str | None
    catalog: str | None
    db: str | None
    schema: dict | None
    names: object  # harvesters.sqllineage._NameMap
    in_procedure: bool = False
    norm: object = None  # the dialect names are normalised with (see norm_dialect)
    variables: frozenset = frozenset()  # script variables: never columns

    def __post_init__(self) -> None:
        if self.norm is None:
            self.norm = norm_dialect(self.dialect)


_NORM_CACHE: dict = {}


def norm_dialect(dialect: str | None):
    """The sqlglot dialect used to qualify: ``dialect`` itself, except that dialects
    which fold unquoted names to upper case (Snowflake, Oracle...) fold to lower case,
    as written in most SQL and as every other dialect reports them; a schema's own
    spelling still wins (:class:`harvesters.sqllineage._NameMap`)."""
    if dialect in _NORM_CACHE:
        return _NORM_CACHE[dialect]
    instance = sqlglot.Dialect.get_or_raise(dialect)
    if instance.normalization_strategy == NormalizationStrategy.UPPERCASE:
        instance = sqlglot.Dialect.get_or_raise(f"{dialect}, normalization_strategy=lowercase")
    _NORM_CACHE[dialect] = instance
    return instance


@dataclass
class StatementLineage:
    """Tables read/written, ``edges`` as (target table, target column, Edge), legacy
    ``columns`` (output name → DIRECT edges) and problems."""

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, Edge]] = field(default_factory=list)
    columns: dict[str, list[Edge]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    body: exp.Expr | None = None  # a procedure body to analyse statement by statement


def _add(target: list[str], value: str | None) -> None:
    if value and value not in target:
        target.append(value)


def _literal_path(node) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.Var) and str(node.this).startswith("@"):
        return str(node.this)
    return None


def looks_like_path(name: str) -> bool:
    """True for file paths, URIs and stage locations used as a table name."""
    return "/" in name or "://" in name or name.startswith("@") or name.startswith("~")


def dataset_name(table: exp.Expr, names) -> str:
    """The dataset a table reference names: ``catalog.schema.table`` (schema spelling)
    or, for a file/URI/stage, the path itself; "" when it names none."""
    if not isinstance(table, exp.Table):
        path = _literal_path(table)
        return path or ""
    this = table.this
    path = _literal_path(this)
    if path:
        return path
    if isinstance(this, exp.Func):
        fname = (this.sql_name() if not isinstance(this, exp.Anonymous) else this.name).lower()
        if fname in _PATH_FUNCTIONS or fname.startswith("read"):
            for arg in [this.this, *this.expressions]:
                if _literal_path(arg):
                    return _literal_path(arg)
        return ""
    if isinstance(this, exp.Identifier | exp.Var) and looks_like_path(this.name):
        return this.name
    parts = [p.name for p in table.parts if isinstance(p, exp.Identifier | exp.Var)]
    if isinstance(this, exp.Identifier) and this.args.get("temporary") and parts:
        parts[-1] = "#" + parts[-1]  # T-SQL #temp table
    return names.table(".".join(p for p in parts if p))


def qualify_table(table: exp.Expr, catalog: str | None, db: str | None) -> None:
    """Give ``table`` the default catalog/schema it is missing (in place)."""
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        return
    if looks_like_path(table.name) or not table.name:
        return
    if db and not table.args.get("db"):
        table.set("db", exp.to_identifier(db))
    if catalog and not table.args.get("catalog") and table.args.get("db"):
        table.set("catalog", exp.to_identifier(catalog))


def _target_table(node) -> exp.Expr | None:
    if isinstance(node, exp.Table):
        return node
    if isinstance(node, exp.Schema | exp.Directory):
        return node.this if isinstance(node.this, exp.Table) else node.this
    return node.find(exp.Table) if node is not None else None


def _unwrap(query):
    while isinstance(query, exp.Subquery) and not query.args.get("alias"):
        query = query.this
    return query if isinstance(query, exp.Query) else None


def _push_with(statement: exp.Expr, query: exp.Expr) -> None:
    """Move ``WITH …`` written before INSERT/UPDATE/MERGE onto its query (in place)."""
    with_ = statement.args.get("with_") or statement.args.get("with")
    if with_ is None or query is None:
        return
    statement.set("with_" if "with_" in statement.args else "with", None)
    inner = query.args.get("with_") or query.args.get("with")
    if inner is not None:
        inner.set("expressions", [*with_.expressions, *inner.expressions])
    else:
        query.set("with_" if "with_" in type(query).arg_types else "with", with_)


def _physical_tables(statement: exp.Expr) -> list[exp.Table]:
    cte_names = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    found = []
    for table in statement.find_all(exp.Table):
        if not table.args.get("db") and table.name.lower() in cte_names:
            continue
        found.append(table)
    return found


def statement_lineage(statement: exp.Expr, ctx: Context) -> StatementLineage:
    """Lineage of one parsed statement (see the module docstring for what is handled)."""
    out = StatementLineage()
    if isinstance(statement, exp.Select) and statement.args.get("into") is not None:
        into = statement.args["into"]
        statement.set("into", None)
        target = into.this if isinstance(into.this, exp.Table) else into.find(exp.Table)
        variable = target is None or target.name.startswith(("@", ":"))
        if ctx.in_procedure and (ctx.dialect or "") in _VARIABLE_DIALECTS:
            variable = True
        _query(statement, None if variable else target, [], ctx, out)
    elif isinstance(statement, exp.Query):
        _query(statement, None, [], ctx, out)
    elif isinstance(statement, exp.Create):
        _create(statement, ctx, out)
    elif isinstance(statement, exp.Insert):
        _insert(statement, ctx, out)
    elif isinstance(statement, exp.Update):
        _update(statement, ctx, out)
    elif isinstance(statement, exp.Merge):
        _merge(statement, ctx, out)
    elif isinstance(statement, exp.Delete):
        target = _target_table(statement.this)
        _dml_tables(statement, target, ctx, out)
    elif isinstance(statement, exp.Copy):
        _copy(statement, ctx, out)
    elif isinstance(statement, exp.LoadData):
        _add(out.inputs, _literal_path(statement.args.get("inpath")))
        _add(out.outputs, _named(statement.this, ctx))
    elif isinstance(statement, exp.Alter):
        _alter(statement, ctx, out)
    elif isinstance(statement, exp.Block):
        out.body = statement
    elif isinstance(statement, exp.MultitableInserts):
        _multitable(statement, ctx, out)
    elif isinstance(statement, exp.Export):  # BigQuery EXPORT DATA OPTIONS(uri=…) AS …
        uri = next(
            (
                p.args.get("value")
                for p in (statement.args.get("options") or exp.Properties()).expressions
                if isinstance(p, exp.Property) and p.name.lower() == "uri"
            ),
            None,
        )
        query = _unwrap(statement.this)
        if query is not None:
            _query(query, uri if _literal_path(uri) else None, [], ctx, out)
    elif isinstance(statement, exp.Cache):  # Spark CACHE TABLE t AS SELECT …
        query = _unwrap(statement.expression)
        if query is not None:
            _query(query, statement.this, [], ctx, out)
    elif statement.find(exp.Select) is not None:
        name = type(statement).__name__.upper()
        out.errors.append(f"unsupported statement {name}: its lineage was not read")
    return out


def _multitable(statement: exp.MultitableInserts, ctx: Context, out: StatementLineage) -> None:
    """Hive ``FROM s INSERT … SELECT … INSERT …`` and Snowflake/Oracle ``INSERT ALL``."""
    source = statement.args.get("source")
    for insert in statement.expressions:
        if not isinstance(insert, exp.Insert):
            continue
        insert = insert.copy()
        query = _unwrap(insert.expression)
        if source is not None:
            if isinstance(query, exp.Select) and query.args.get("from_") is None:
                query.set("from_", exp.From(this=source.copy()))
            elif query is None and isinstance(insert.expression, exp.Tuple):
                projections = insert.expression.expressions
                query = exp.Select(expressions=[p.copy() for p in projections])
                query.set("from_", exp.From(this=source.copy()))
            elif query is None:
                query = exp.Select(expressions=[exp.Star()])
                query.set("from_", exp.From(this=source.copy()))
            insert.set("expression", query)
        found = statement_lineage(insert, ctx)
        for name in found.inputs:
            _add(out.inputs, name)
        for name in found.outputs:
            _add(out.outputs, name)
        out.edges += [e for e in found.edges if e not in out.edges]
        for column, edges in found.columns.items():
            add_edges(out.columns.setdefault(column, []), edges)
        out.errors += [e for e in found.errors if e not in out.errors]


def _named(table, ctx: Context) -> str:
    qualify_table(table, ctx.catalog, ctx.db)
    if isinstance(table, exp.Table):
        table = normalize_identifiers(table.copy(), dialect=ctx.norm)
    return dataset_name(table, ctx.names)


def _dml_tables(statement, target, ctx: Context, out: StatementLineage) -> None:
    target = _through_cte(statement, target)
    target_name = _named(target, ctx) if target is not None else ""
    _add(out.outputs, target_name)
    for table in _physical_tables(statement):
        if table is target:
            continue
        name = _named(table, ctx)
        if name and name != target_name:
            _add(out.inputs, name)


def _through_cte(statement: exp.Expr, target):
    """The table a DELETE/UPDATE through a CTE writes (T-SQL ``WITH d AS (SELECT … FROM t)
    DELETE FROM d``), else ``target``."""
    if not isinstance(target, exp.Table) or target.args.get("db"):
        return target
    for cte in statement.find_all(exp.CTE):
        if cte.alias_or_name.lower() == target.name.lower():
            tables = list(cte.this.find_all(exp.Table))
            return tables[0] if len(tables) == 1 else target
    return target


def _create(statement: exp.Create, ctx: Context, out: StatementLineage) -> None:
    kind = (statement.args.get("kind") or "").upper()
    if kind in {"PROCEDURE", "PROC", "FUNCTION", "TRIGGER"}:
        body = statement.expression
        if isinstance(body, exp.Block):
            out.body = body
        return
    if kind not in {"TABLE", "VIEW", "MATERIALIZED VIEW", ""}:
        return
    target = _target_table(statement.this)
    query = _unwrap(statement.expression)
    explicit = _explicit_names(statement.this)
    if query is not None:
        _query(query, target, explicit, ctx, out)
        return
    _dml_tables(statement, target, ctx, out)  # CREATE TABLE … LIKE / CLONE / plain DDL


def _explicit_names(this) -> list[str]:
    if isinstance(this, exp.Schema):
        return [e.name for e in this.expressions if isinstance(e, exp.Identifier | exp.ColumnDef)]
    return []


def _insert(statement: exp.Insert, ctx: Context, out: StatementLineage) -> None:
    this = statement.this
    query = _unwrap(statement.expression)
    _push_with(statement, query)
    target = this.this if isinstance(this, exp.Directory) else _target_table(this)
    explicit = _explicit_names(this)
    if query is None:
        _dml_tables(statement, target, ctx, out)
        return
    _query(query, target, explicit, ctx, out)


def _update(statement: exp.Update, ctx: Context, out: StatementLineage) -> None:
    target = statement.this.copy()
    joins = list(target.args.get("joins") or [])
    target.set("joins", None)
    select = exp.Select()
    from_ = statement.args.get("from_") or statement.args.get("from")
    alias = target.alias_or_name.lower()
    if from_ is not None:
        first = from_.this.copy()
        joins = [*joins, *(first.args.get("joins") or [])]
        first.set("joins", None)
        if first.alias_or_name.lower() == alias or first.name.lower() == target.name.lower():
            select = select.from_(first)
        else:
            select = select.from_(target).join(first)
    else:
        select = select.from_(target)
    for join in joins:
        select = select.join(join.copy())
    names = []
    for index, eq in enumerate(statement.expressions):
        if isinstance(eq, exp.EQ):
            names.append(eq.this.name)
            select = select.select(exp.alias_(eq.expression.copy(), f"_mc_{index}"))
    if statement.args.get("where") is not None:
        select.set("where", statement.args["where"].copy())
    written = statement.this
    if not written.args.get("db"):  # UPDATE <alias> … FROM <table> <alias> (T-SQL)
        for table in select.find_all(exp.Table):
            if table.alias and table.alias.lower() == written.name.lower():
                written = table.copy()
                break
    with_ = statement.args.get("with_") or statement.args.get("with")
    if with_ is not None:
        select.set("with_" if "with_" in type(select).arg_types else "with", with_.copy())
    _query(select, written, names, ctx, out, dml=True)


def _merge(statement: exp.Merge, ctx: Context, out: StatementLineage) -> None:
    target = statement.this.copy()
    using = statement.args.get("using")
    if using is None:
        _dml_tables(statement, statement.this, ctx, out)
        return
    select = exp.Select().from_(using.copy())
    select = select.join(
        target, on=statement.args.get("on").copy() if statement.args.get("on") else None
    )
    names: list[str] = []
    when_conditions: list[tuple[exp.Expr, int, int]] = []
    whens = statement.args.get("whens")
    target_cols = _known_columns(statement.this, ctx)
    for when in whens.expressions if whens is not None else []:
        then = when.args.get("then")
        pairs: list[tuple[str, exp.Expr]] = []
        if isinstance(then, exp.Update):
            pairs = [(e.this.name, e.expression) for e in then.expressions if isinstance(e, exp.EQ)]
        elif isinstance(then, exp.Insert):
            cols = then.this.expressions if isinstance(then.this, exp.Tuple) else []
            values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
            col_names = [c.name for c in cols] or target_cols[: len(values)]
            pairs = list(zip(col_names, values, strict=False))
        if _is_star_action(then):  # Databricks UPDATE SET * / INSERT *: by column name
            source = using.alias_or_name
            pairs = [(c, exp.column(c, table=source)) for c in target_cols]
            if not target_cols and isinstance(using, exp.Table):
                star = (dataset_name(using, ctx.names), "*", DIRECT, "IDENTITY", False)
                target_name = _named(statement.this.copy(), ctx)
                if (target_name, "*", star) not in out.edges:
                    out.edges.append((target_name, "*", star))
        first = len(names)
        for name, value in pairs:
            select = select.select(exp.alias_(value.copy(), f"_mc_{len(names)}"))
            names.append(name)
        if when.args.get("condition") is not None and pairs:
            when_conditions.append((when.args["condition"], first, len(names)))
    # WHEN … AND <condition>: extra projections after the written ones, by position.
    cond_positions: dict[int, int] = {}
    for offset, (condition, first, last) in enumerate(when_conditions):
        index = len(names) + offset
        select = select.select(exp.alias_(condition.copy(), f"_mc_cond_{index}"))
        for position in range(first, last):
            cond_positions[position] = index
    _query(select, statement.this, names, ctx, out, dml=True, conditions=cond_positions)


def _is_star_action(then) -> bool:
    if isinstance(then, exp.Update):
        return any(isinstance(e, exp.Star) for e in then.expressions)
    return isinstance(then, exp.Insert) and isinstance(then.this, exp.Star)


def _known_columns(table, ctx: Context) -> list[str]:
    table = table.copy() if table is not None else None
    if table is None:
        return []
    name = _named(table, ctx)
    return list(ctx.names.columns.get(name.lower(), {}).values())


def _copy(statement: exp.Copy, ctx: Context, out: StatementLineage) -> None:
    this = statement.this
    files = [dataset_name(f, ctx.names) if isinstance(f, exp.Table) else _literal_path(f)
             for f in statement.args.get("files") or []]  # fmt: skip
    query = _unwrap(this) if isinstance(this, exp.Subquery | exp.Query) else None
    if query is not None:  # COPY (SELECT …) TO 'file'
        target = exp.Literal.string(files[0]) if files and files[0] else None
        _query(query, target, [], ctx, out)
        for path in files:
            _add(out.outputs, path)
        return
    name = _named(this, ctx)
    queries = [_unwrap(f) for f in statement.args.get("files") or []]
    if statement.args.get("kind") and any(q is not None for q in queries):
        for query in queries:  # COPY INTO @stage|table [(cols)] FROM (SELECT …)
            if query is not None:
                _query(query, _target_table(this), _explicit_names(this), ctx, out)
        return
    if statement.args.get("kind"):  # COPY [INTO] x FROM files
        for path in files:
            _add(out.inputs, path)
        _add(out.outputs, name)
    else:  # COPY x TO files
        _add(out.inputs, name)
        for path in files:
            _add(out.outputs, path)


def _alter(statement: exp.Alter, ctx: Context, out: StatementLineage) -> None:
    for action in statement.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):  # ALTER TABLE a RENAME TO b: a → b
            new = action.this
            for part in ("db", "catalog"):  # the new name stays in the old schema
                old = statement.this.args.get(part)
                if isinstance(new, exp.Table) and not new.args.get(part) and old is not None:
                    new.set(part, old.copy())
            _add(out.inputs, _named(statement.this, ctx))
            _add(out.outputs, _named(action.this, ctx))
        elif isinstance(action, exp.SwapTable):  # ALTER TABLE a SWAP WITH b: b → a
            _add(out.inputs, _named(action.this, ctx))
            _add(out.outputs, _named(statement.this, ctx))


def _original_names(query: exp.Expr, dialect) -> list[str | None]:
    names: list[str | None] = []
    for select in selects_of(query):
        if is_star(select):
            names.append(None)
        elif isinstance(select, exp.Alias | exp.Column) and select.alias_or_name:
            names.append(select.alias_or_name)
        else:  # an unaliased expression is named by its SQL text
            names.append(select.sql(dialect=dialect))
    return names


def _qualified(query: exp.Expr, ctx: Context) -> exp.Expr:
    options = {
        "dialect": ctx.norm,
        "db": ctx.db,
        "catalog": ctx.catalog,
        "validate_qualify_columns": False,
        "identify": False,
        "quote_identifiers": False,
    }
    try:
        return qualify(query, schema=ctx.schema, **options)
    except Exception:  # noqa: BLE001 - e.g. correlated subquery over unknown tables
        return qualify(query, qualify_columns=False, **options)


def _query(
    query: exp.Expr,
    target: exp.Expr | None,
    explicit: list[str],
    ctx: Context,
    out: StatementLineage,
    dml: bool = False,
    conditions: dict[int, int] | None = None,
) -> None:
    """Lineage of ``query`` written to ``target`` (None: a plain SELECT)."""
    target_name = _named(target, ctx) if target is not None else ""
    _add(out.outputs, target_name)
    original = _original_names(query, ctx.dialect)
    qualified = _qualified(query, ctx)
    names = ctx.names
    resolver = Resolver(
        lambda t: dataset_name(t, names),
        lambda t: set(names.columns[t.lower()]) if t.lower() in names.columns else None,
        names.column,
        ctx.variables,
    )
    root = build_scope(qualified)
    if root is None:
        for table in _physical_tables(qualified):
            name = dataset_name(table, names)
            if name != target_name or not dml:
                _add(out.inputs, name)
        return
    for scope in root.traverse():
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                name = dataset_name(source, names)
                if name and not (dml and name == target_name):
                    _add(out.inputs, name)
    star_scope = root
    while isinstance(star_scope.expression, exp.SetOperation) and star_scope.set_operation_scopes:
        star_scope = star_scope.set_operation_scopes[0]
    outputs: list[tuple[str, list[Edge], bool]] = []
    selects = selects_of(root)
    condition_index = set((conditions or {}).values())
    for index, select in enumerate(selects):
        if index in condition_index:
            continue
        if is_star(select):
            for name, edges in resolver.star_outputs(star_scope, select):
                outputs.append((name, edges, True))
            continue
        name = original[index] if index < len(original) and original[index] else ""
        name = name or select.alias_or_name
        edges = resolver.output_edges(root, index)
        if conditions and index in conditions:
            cond = resolver.expression_edges(root, selects[conditions[index]])
            add_edges(edges, ((t, c, INDIRECT, "CONDITIONAL", a) for t, c, _, _, a in cond))
        outputs.append((name, edges, False))
    target_columns = (
        list(names.columns.get(target_name.lower(), {}).values()) if target_name else []
    )
    has_star = any(name == "*" for name, _, _ in outputs)
    if explicit and not has_star:
        mapping = explicit
    elif target_columns and not has_star and len(outputs) == len(target_columns):
        mapping = target_columns
    else:
        mapping = []
    for position, (name, edges, _from_star) in enumerate(outputs):
        if position < len(mapping):
            column = mapping[position]
        elif target_name:
            column = names.column(target_name, name)
        else:
            column = name
        if not column:
            continue
        direct = [e for e in edges if e[2] == DIRECT]
        if not mapping and len(direct) == 1 and direct[0][1].lower() == column.lower():
            column = direct[0][1]  # a name normalised by the dialect: the source's spelling
        if column != "*":
            legacy = out.columns.setdefault(column, [])
            add_edges(legacy, [e for e in direct if not (dml and e[0] == target_name)])
        for edge in edges:
            if edge[4] or (dml and edge[0] == target_name):
                continue
            item = (target_name, column, edge)
            if item not in out.edges:
                out.edges.append(item)
    unknown = sorted(
        {e[0] for name, edges, _ in outputs if name == "*" for e in edges if e[1] == "*"}
    )
    if unknown:
        out.errors.append(f"cannot expand * over {', '.join(unknown)} without their schema")
    for column, tables in sorted(resolver.ambiguous.items()):
        out.errors.append(
            f"column {column!r} is ambiguous between {', '.join(tables)} without their "
            "schema: no column lineage recorded for it"
        )
