"""One statement's lineage for :mod:`harvesters.sqlparsing.lineage`: what it reads and writes and
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

from sqlglot import exp

from harvesters.sqlparsing.columns import DIRECT, add_edges
from harvesters.sqlparsing.query import (
    Context,
    StatementLineage,
    add_name,
    dataset_name,
    explicit_names,
    literal_path,
    named,
    physical_tables,
    query_lineage,
    target_table,
    unwrap_query,
)

_VARIABLE_DIALECTS = {"oracle", "mysql", "bigquery", "snowflake", "postgres", "redshift"}


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
        query_lineage(statement, None if variable else target, [], ctx, out)
    elif isinstance(statement, exp.Query):
        query_lineage(statement, None, [], ctx, out)
    elif isinstance(statement, exp.Create):
        _create(statement, ctx, out)
    elif isinstance(statement, exp.Insert):
        _insert(statement, ctx, out)
    elif isinstance(statement, exp.Update):
        _update(statement, ctx, out)
    elif isinstance(statement, exp.Merge):
        _merge(statement, ctx, out)
    elif isinstance(statement, exp.Delete):
        target = target_table(statement.this)
        _dml_tables(statement, target, ctx, out)
    elif isinstance(statement, exp.Copy):
        _copy(statement, ctx, out)
    elif isinstance(statement, exp.LoadData):
        add_name(out.inputs, literal_path(statement.args.get("inpath")))
        add_name(out.outputs, named(statement.this, ctx))
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
        query = unwrap_query(statement.this)
        if query is not None:
            query_lineage(query, uri if literal_path(uri) else None, [], ctx, out)
    elif isinstance(statement, exp.Cache):  # Spark CACHE TABLE t AS SELECT …
        query = unwrap_query(statement.expression)
        if query is not None:
            query_lineage(query, statement.this, [], ctx, out)
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
        query = unwrap_query(insert.expression)
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
            add_name(out.inputs, name)
        for name in found.outputs:
            add_name(out.outputs, name)
        out.edges += [e for e in found.edges if e not in out.edges]
        for column, edges in found.columns.items():
            add_edges(out.columns.setdefault(column, []), edges)
        out.errors += [e for e in found.errors if e not in out.errors]


def _dml_tables(statement, target, ctx: Context, out: StatementLineage) -> None:
    target = _through_cte(statement, target)
    target_name = named(target, ctx) if target is not None else ""
    add_name(out.outputs, target_name)
    for table in physical_tables(statement):
        if table is target:
            continue
        name = named(table, ctx)
        if name and name != target_name:
            add_name(out.inputs, name)


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
    target = target_table(statement.this)
    query = unwrap_query(statement.expression)
    explicit = explicit_names(statement.this)
    if query is not None:
        query_lineage(query, target, explicit, ctx, out)
        return
    _dml_tables(statement, target, ctx, out)  # CREATE TABLE … LIKE / CLONE / plain DDL


def _insert(statement: exp.Insert, ctx: Context, out: StatementLineage) -> None:
    this = statement.this
    query = unwrap_query(statement.expression)
    _push_with(statement, query)
    target = this.this if isinstance(this, exp.Directory) else target_table(this)
    explicit = explicit_names(this)
    if query is None:
        _dml_tables(statement, target, ctx, out)
        return
    query_lineage(query, target, explicit, ctx, out)


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
    query_lineage(select, written, names, ctx, out, dml=True)


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
                target_name = named(statement.this.copy(), ctx)
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
    query_lineage(select, statement.this, names, ctx, out, dml=True, conditions=cond_positions)


def _is_star_action(then) -> bool:
    if isinstance(then, exp.Update):
        return any(isinstance(e, exp.Star) for e in then.expressions)
    return isinstance(then, exp.Insert) and isinstance(then.this, exp.Star)


def _known_columns(table, ctx: Context) -> list[str]:
    table = table.copy() if table is not None else None
    if table is None:
        return []
    name = named(table, ctx)
    return list(ctx.names.columns.get(name.lower(), {}).values())


def _copy(statement: exp.Copy, ctx: Context, out: StatementLineage) -> None:
    this = statement.this
    files = [dataset_name(f, ctx.names) if isinstance(f, exp.Table) else literal_path(f)
             for f in statement.args.get("files") or []]  # fmt: skip
    query = unwrap_query(this) if isinstance(this, exp.Subquery | exp.Query) else None
    if query is not None:  # COPY (SELECT …) TO 'file'
        target = exp.Literal.string(files[0]) if files and files[0] else None
        query_lineage(query, target, [], ctx, out)
        for path in files:
            add_name(out.outputs, path)
        return
    name = named(target_table(this), ctx)  # COPY t (a, b) FROM …: the table t
    queries = [unwrap_query(f) for f in statement.args.get("files") or []]
    if statement.args.get("kind") and any(q is not None for q in queries):
        for query in queries:  # COPY INTO @stage|table [(cols)] FROM (SELECT …)
            if query is not None:
                query_lineage(query, target_table(this), explicit_names(this), ctx, out)
        return
    if statement.args.get("kind"):  # COPY [INTO] x FROM files
        for path in files:
            add_name(out.inputs, path)
        add_name(out.outputs, name)
    else:  # COPY x TO files
        add_name(out.inputs, name)
        for path in files:
            add_name(out.outputs, path)


def _alter(statement: exp.Alter, ctx: Context, out: StatementLineage) -> None:
    for action in statement.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):  # ALTER TABLE a RENAME TO b: a → b
            new = action.this
            for part in ("db", "catalog"):  # the new name stays in the old schema
                old = statement.this.args.get(part)
                if isinstance(new, exp.Table) and not new.args.get(part) and old is not None:
                    new.set(part, old.copy())
            add_name(out.inputs, named(statement.this, ctx))
            add_name(out.outputs, named(action.this, ctx))
        elif isinstance(action, exp.SwapTable):  # ALTER TABLE a SWAP WITH b: b → a
            add_name(out.inputs, named(action.this, ctx))
            add_name(out.outputs, named(statement.this, ctx))
