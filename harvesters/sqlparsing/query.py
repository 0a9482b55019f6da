"""Query-level lineage for :mod:`harvesters.sqlparsing.lineage`: the analysis context, dataset
naming (tables, files, URIs and stages) and :func:`query_lineage`, which qualifies a
query once with sqlglot and maps each output column of the query onto the target's
columns (explicit column list, or by position onto a known target schema) with the
typed source edges :class:`harvesters.sqlparsing.columns.Resolver` finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import NormalizationStrategy
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

from harvesters.sqlparsing.columns import (
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


@dataclass
class Context:
    """What every statement of a script is analysed with."""

    dialect: str | None
    catalog: str | None
    db: str | None
    schema: dict | None
    names: object  # harvesters.sqlparsing.lineage._NameMap
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
    spelling still wins (:class:`harvesters.sqlparsing.lineage._NameMap`)."""
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


def add_name(target: list[str], value: str | None) -> None:
    if value and value not in target:
        target.append(value)


def literal_path(node) -> str | None:
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
        path = literal_path(table)
        return path or ""
    this = table.this
    path = literal_path(this)
    if path:
        return path
    if isinstance(this, exp.Func):
        fname = (this.sql_name() if not isinstance(this, exp.Anonymous) else this.name).lower()
        if fname in _PATH_FUNCTIONS or fname.startswith("read"):
            for arg in [this.this, *this.expressions]:
                if literal_path(arg):
                    return literal_path(arg)
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


def target_table(node) -> exp.Expr | None:
    if isinstance(node, exp.Table):
        return node
    if isinstance(node, exp.Schema | exp.Directory):
        return node.this if isinstance(node.this, exp.Table) else node.this
    return node.find(exp.Table) if node is not None else None


def unwrap_query(query):
    while isinstance(query, exp.Subquery) and not query.args.get("alias"):
        query = query.this
    return query if isinstance(query, exp.Query) else None


def physical_tables(statement: exp.Expr) -> list[exp.Table]:
    cte_names = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    found = []
    for table in statement.find_all(exp.Table):
        if not table.args.get("db") and table.name.lower() in cte_names:
            continue
        found.append(table)
    return found


def named(table, ctx: Context) -> str:
    qualify_table(table, ctx.catalog, ctx.db)
    if isinstance(table, exp.Table):
        table = normalize_identifiers(table.copy(), dialect=ctx.norm)
    return dataset_name(table, ctx.names)


def explicit_names(this) -> list[str]:
    if isinstance(this, exp.Schema):
        return [e.name for e in this.expressions if isinstance(e, exp.Identifier | exp.ColumnDef)]
    return []


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


def _returning_ctes(query: exp.Expr, ctx: Context, out: StatementLineage) -> None:
    """PostgreSQL ``WITH d AS (DELETE|UPDATE … RETURNING cols)``: the CTE becomes the
    SELECT of those columns from its table (in place), which is written too."""
    for cte in list(query.find_all(exp.CTE)):
        body = cte.this
        returning = (
            body.args.get("returning") if isinstance(body, exp.Delete | exp.Update) else None
        )
        if returning is None or not isinstance(body.this, exp.Table):
            continue
        add_name(out.outputs, named(body.this.copy(), ctx))
        select = exp.Select(expressions=[e.copy() for e in returning.expressions])
        select = select.from_(body.this.copy())
        if body.args.get("where") is not None:
            select.set("where", body.args["where"].copy())
        cte.set("this", select)


def query_lineage(
    query: exp.Expr,
    target: exp.Expr | None,
    explicit: list[str],
    ctx: Context,
    out: StatementLineage,
    dml: bool = False,
    conditions: dict[int, int] | None = None,
) -> None:
    """Lineage of ``query`` written to ``target`` (None: a plain SELECT)."""
    target_name = named(target, ctx) if target is not None else ""
    add_name(out.outputs, target_name)
    _returning_ctes(query, ctx, out)
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
        for table in physical_tables(qualified):
            name = dataset_name(table, names)
            if name != target_name or not dml:
                add_name(out.inputs, name)
        return
    for scope in root.traverse():
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                name = dataset_name(source, names)
                if name and not (dml and name == target_name):
                    add_name(out.inputs, name)
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
        same_shape = len(original) == len(selects)  # a * expanded by qualify shifts them
        name = original[index] if same_shape and original[index] else ""
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
    present = set(out.edges)
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
            if item not in present:
                present.add(item)
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
