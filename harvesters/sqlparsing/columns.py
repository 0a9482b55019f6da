"""Column resolution for :mod:`harvesters.sqlparsing.lineage`: output column → source columns,
each with its OpenLineage transformation type.

Types follow the OpenLineage column-lineage facet (spec 1-1-0 and later,
https://openlineage.io/docs/spec/facets/dataset-facets/column_lineage_facet):

* ``DIRECT`` — the value is derived from the source column: ``IDENTITY`` (copied as is,
  possibly renamed), ``TRANSFORMATION`` (computed, cast), ``AGGREGATION`` (inside an
  aggregate function);
* ``INDIRECT`` — the source column decides which rows or values appear: ``FILTER``
  (WHERE, HAVING, QUALIFY, an aggregate's FILTER), ``JOIN`` (join conditions),
  ``GROUP_BY``, ``SORT`` (ORDER BY), ``WINDOW`` (PARTITION BY / ORDER BY of a window),
  ``CONDITIONAL`` (CASE/IF conditions).

Statement-level INDIRECT columns (filters, joins, grouping, sorting) are attached to
every output column of the query, as OpenLineage producers do in ``inputFields``.

An edge is the tuple ``(table, column, type, subtype, ambiguous)``; ``ambiguous`` marks a
source guessed for an unqualified column that several tables of a scope may have (no
schema says which): such edges are dropped from the precise lineage and reported.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

Edge = tuple[str, str, str, str, bool]

DIRECT = "DIRECT"
INDIRECT = "INDIRECT"
_RANK = {"IDENTITY": 0, "TRANSFORMATION": 1, "AGGREGATION": 2}
_PSEUDO_RECORDS = {"new", "old", "excluded"}
# Wrappers that do not change a value.
_TRANSPARENT = (exp.Alias, exp.Paren, exp.Subquery)


def compose(kind: str, subtype: str, edge: Edge) -> Edge:
    """``edge`` (from an inner scope) seen through an outer use of type ``kind/subtype``:
    an INDIRECT edge stays as it is, a DIRECT one used INDIRECTLY takes the outer subtype,
    DIRECT through DIRECT keeps the stronger subtype (AGGREGATION > TRANSFORMATION >
    IDENTITY)."""
    table, column, inner_kind, inner_subtype, ambiguous = edge
    if inner_kind == INDIRECT:
        return edge  # the inner reason (a filter, a grouping...) is why it matters
    if kind == INDIRECT:
        return (table, column, INDIRECT, subtype, ambiguous)
    best = subtype if _RANK.get(subtype, 1) >= _RANK.get(inner_subtype, 1) else inner_subtype
    return (table, column, DIRECT, best, ambiguous)


def add_edges(target: list[Edge], items, seen: set | None = None) -> None:
    """Append ``items`` not yet in ``target`` (order kept)."""
    present = seen if seen is not None else set(target)
    for item in items:
        if item not in present:
            present.add(item)
            target.append(item)


def selects_of(scope_or_expression) -> list[exp.Expr]:
    """Projection list of a query (the left-most branch of a set operation)."""
    expression = scope_or_expression
    if isinstance(expression, Scope):
        expression = expression.expression
    while isinstance(expression, exp.SetOperation):
        expression = expression.left
    while isinstance(expression, exp.Subquery):
        expression = expression.this
    return list(getattr(expression, "selects", []) or [])


def is_star(select: exp.Expr) -> bool:
    """True for ``*`` and ``t.*`` projections."""
    return isinstance(select, exp.Star) or (isinstance(select, exp.Column) and select.is_star)


class Resolver:
    """Resolves expressions of a scope tree to physical source columns, memoised.

    ``table_name(exp.Table) -> str`` names tables (with paths and schema spelling);
    ``known_columns(name) -> set | None`` gives the lower-cased columns of a table when a
    schema knows it; ``column_name(table, column) -> str`` its spelling.
    """

    def __init__(self, table_name, known_columns, column_name, variables=frozenset()) -> None:
        self.variables = variables
        self.table_name = table_name
        self.known_columns = known_columns
        self.column_name = column_name
        self.memo: dict[tuple[int, str], list[Edge]] = {}
        self.indirect_memo: dict[int, list[Edge]] = {}
        self.ambiguous: dict[str, list[str]] = {}
        self._subqueries: dict[int, dict[int, Scope]] = {}
        self._position_memo: dict[int, dict[str, int]] = {}
        self._keep: list = []

    # -- scopes -------------------------------------------------------------------------

    def subqueries(self, scope: Scope) -> dict[int, Scope]:
        """``{id(query expression): scope}`` of the subqueries of ``scope``."""
        found = self._subqueries.get(id(scope))
        if found is None:
            found = {}
            for sub in scope.subquery_scopes:
                found[id(sub.expression)] = sub
                if isinstance(sub.expression.parent, exp.Subquery):
                    found[id(sub.expression.parent)] = sub
            self._subqueries[id(scope)] = found
            self._keep.append(scope)
        return found

    def output_edges(self, scope: Scope, position: int) -> list[Edge]:
        """Edges of the ``position``-th (0-based) output column of ``scope``."""
        if isinstance(scope.expression, exp.SetOperation):
            found: list[Edge] = []
            for branch in scope.set_operation_scopes:
                add_edges(found, self.output_edges(branch, position))
            return found
        selects = selects_of(scope)
        if position >= len(selects):
            return []
        return self.select_edges(scope, selects[position])

    def select_edges(self, scope: Scope, select: exp.Expr) -> list[Edge]:
        """Edges of one projection: its own columns plus the scope's INDIRECT ones."""
        found = self.expression_edges(scope, select)
        add_edges(found, self.scope_indirect(scope))
        return found

    def column_edges(self, scope: Scope, name: str) -> list[Edge]:
        """Edges of the output column ``name`` of a derived table / CTE ``scope``."""
        key = (id(scope), name.lower())
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = []  # recursion guard (recursive CTEs)
        self._keep.append(scope)
        found: list[Edge] = []
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            position = self._positions(scope).get(name.lower())
            if position is not None:
                found = self.output_edges(scope, position)
        elif isinstance(expression, exp.Select):
            position = self._positions(scope).get(name.lower())
            select = expression.selects[position] if position is not None else None
            if select is not None:
                found = self.select_edges(scope, select)
            elif any(is_star(s) for s in expression.selects):
                for star in (s for s in expression.selects if is_star(s)):
                    for source_name in self._star_sources(scope, star):
                        add_edges(found, self.from_source(scope, source_name, name))
                add_edges(found, self.scope_indirect(scope))
        elif isinstance(expression, exp.Lateral):
            found = self._lateral_edges(scope, name)
        elif isinstance(expression, exp.Unnest | exp.Explode | exp.Func):
            # UNNEST(arr) AS x, table functions: outputs derive from the arguments.
            for arg in expression.expressions or [expression.this]:
                if isinstance(arg, exp.Expr):
                    add_edges(found, self.expression_edges(scope, arg, DIRECT, "TRANSFORMATION"))
        self.memo[key] = found
        return found

    def _positions(self, scope: Scope) -> dict[str, int]:
        """``{lower-cased output name: first position}`` of a query scope, memoised."""
        found = self._position_memo.get(id(scope))
        if found is None:
            found = {}
            for i, select in enumerate(selects_of(scope)):
                if not is_star(select):
                    found.setdefault(select.alias_or_name.lower(), i)
            self._position_memo[id(scope)] = found
            self._keep.append(scope)
        return found

    def _lateral_edges(self, scope: Scope, name: str) -> list[Edge]:
        lateral = scope.expression
        inner = lateral.this
        if isinstance(inner, exp.Subquery | exp.Query):
            for child in scope.sources.values():
                if isinstance(child, Scope):
                    return self.column_edges(child, name)
            return []
        # A table function (EXPLODE, FLATTEN, UNNEST...): its outputs derive from its args.
        return self.expression_edges(scope, inner, DIRECT, "TRANSFORMATION")

    def scope_indirect(self, scope: Scope) -> list[Edge]:
        """INDIRECT edges of a scope: WHERE, JOIN, GROUP BY, HAVING, QUALIFY, ORDER BY."""
        key = id(scope)
        if key in self.indirect_memo:
            return self.indirect_memo[key]
        self.indirect_memo[key] = []
        self._keep.append(scope)
        found: list[Edge] = []
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            for branch in scope.set_operation_scopes:
                add_edges(found, self.scope_indirect(branch))
        elif isinstance(expression, exp.Select):
            parts: list[tuple[exp.Expr | None, str]] = [
                (expression.args.get("where"), "FILTER"),
                (expression.args.get("having"), "FILTER"),
                (expression.args.get("qualify"), "FILTER"),
                (expression.args.get("group"), "GROUP_BY"),
                (expression.args.get("order"), "SORT"),
            ]
            for join in expression.args.get("joins") or []:
                parts.append((join.args.get("on"), "JOIN"))
                for ident in join.args.get("using") or []:
                    parts.append((exp.column(ident.name), "JOIN"))
            group = expression.args.get("group")
            if group is not None and group.args.get("all"):  # GROUP BY ALL
                for select in expression.selects:
                    if not is_star(select) and select.find(exp.AggFunc) is None:
                        parts.append((select, "GROUP_BY"))
            for node, subtype in parts:
                if node is not None:
                    add_edges(found, self.expression_edges(scope, node, INDIRECT, subtype))
        self.indirect_memo[key] = found
        return found

    # -- expressions --------------------------------------------------------------------

    def expression_edges(
        self, scope: Scope, root: exp.Expr, kind: str = DIRECT, subtype: str | None = None
    ) -> list[Edge]:
        """Edges of the columns in ``root`` (an expression of ``scope``).

        ``subtype`` None means "not transformed yet": a bare column is ``IDENTITY``."""
        found: list[Edge] = []
        seen: set = set()
        subqueries = self.subqueries(scope)
        stack: list[tuple[exp.Expr, str, str | None]] = [(root, kind, subtype)]
        while stack:
            node, kind, subtype = stack.pop()
            if kind == DIRECT:
                if isinstance(node, exp.AggFunc):
                    subtype = "AGGREGATION"
                elif subtype is None and not isinstance(node, (*_TRANSPARENT, exp.Column)):
                    subtype = "TRANSFORMATION"
            if isinstance(node, exp.Column):
                if node.is_star:
                    continue
                use = subtype or "IDENTITY"
                add_edges(found, (compose(kind, use, e) for e in self.column(scope, node)), seen)
                continue
            if isinstance(node, exp.Query) and id(node) in subqueries:
                sub = subqueries[id(node)]
                use = subtype or "TRANSFORMATION"
                for select in selects_of(sub):
                    edges = self.select_edges(sub, select)
                    add_edges(found, (compose(kind, use, e) for e in edges), seen)
                continue
            # Inside a filter, grouping... (INDIRECT already) a condition keeps that reason.
            condition = (INDIRECT, subtype) if kind == INDIRECT else (INDIRECT, "CONDITIONAL")
            if isinstance(node, exp.Case):
                if node.this is not None:
                    stack.append((node.this, *condition))
                for branch in node.args.get("ifs") or []:
                    stack.append((branch.this, *condition))
                    if branch.args.get("true") is not None:
                        stack.append((branch.args["true"], kind, subtype))
                if node.args.get("default") is not None:
                    stack.append((node.args["default"], kind, subtype))
                continue
            if isinstance(node, exp.If):
                stack.append((node.this, *condition))
                for part in ("true", "false"):
                    if node.args.get(part) is not None:
                        stack.append((node.args[part], kind, subtype))
                continue
            if isinstance(node, exp.Window):
                stack.append((node.this, kind, subtype))
                named = self._named_window(scope, node)
                if named is not None:  # OVER w … WINDOW w AS (PARTITION BY …)
                    for part in named.args.get("partition_by") or []:
                        stack.append((part, INDIRECT, "WINDOW"))
                    if named.args.get("order") is not None:
                        stack.append((named.args["order"], INDIRECT, "WINDOW"))
                for part in node.args.get("partition_by") or []:
                    stack.append((part, INDIRECT, "WINDOW"))
                if node.args.get("order") is not None:
                    stack.append((node.args["order"], INDIRECT, "WINDOW"))
                continue
            if isinstance(node, exp.Filter):
                stack.append((node.this, kind, subtype))
                stack.append((node.expression, INDIRECT, subtype if kind == INDIRECT else "FILTER"))
                continue
            stack.extend(
                (child, kind, subtype) for child in reversed(list(node.iter_expressions()))
            )
        return found

    def column(self, scope: Scope, column: exp.Column) -> list[Edge]:
        """Edges of one column reference in ``scope`` (qualified or not)."""
        if column.table:
            if self._find_source(scope, column.table) is None and not column.args.get("db"):
                return self._unknown_qualifier(scope, column)
            return self.from_source(scope, column.table, column.name)
        name = column.name
        if name.lower() in self.variables:
            return []
        alias = self._alias_reference(scope, column)
        if alias is not None:
            return self.expression_edges(scope, alias.this)
        candidates = [s for s in scope.selected_sources if self._may_have(scope, s, name)]
        definite = [s for s in candidates if self._may_have(scope, s, name, strict=True)]
        if len(definite) == 1:
            candidates = definite
        if not candidates:
            alias = next(
                (
                    s
                    for s in selects_of(scope)
                    if isinstance(s, exp.Alias) and s.alias.lower() == name.lower()
                ),
                None,
            )
            if alias is not None and alias.this is not column:
                return self.expression_edges(scope, alias.this)
            if len(scope.selected_sources) == 1:
                candidates = list(scope.selected_sources)
            elif scope.parent is not None and not scope.selected_sources:
                return self.column(scope.parent, column)
        if len(candidates) == 1:
            return self.from_source(scope, candidates[0], name)
        found: list[Edge] = []
        for source_name in candidates:
            add_edges(found, self.from_source(scope, source_name, name))
        if len(candidates) > 1:
            tables = sorted({e[0] for e in found})
            if len(tables) > 1:
                self.ambiguous.setdefault(name, tables)
                return [(t, c, k, s, True) for t, c, k, s, _ in found]
        return found

    def _named_window(self, scope: Scope, window: exp.Window) -> exp.Window | None:
        alias = window.args.get("alias")
        if alias is None or window.args.get("partition_by") or window.args.get("order"):
            return None
        for named in scope.expression.args.get("windows") or []:
            if isinstance(named.this, exp.Identifier) and named.this.name == alias.name:
                return named
        return None

    def _alias_reference(self, scope: Scope, column: exp.Column) -> exp.Alias | None:
        """The projection a bare name in ORDER BY / GROUP BY / HAVING / QUALIFY means."""
        clause = column.find_ancestor(exp.Order, exp.Group, exp.Having, exp.Qualify, exp.Select)
        if clause is None or isinstance(clause, exp.Select):
            return None
        for select in selects_of(scope):
            if (
                isinstance(select, exp.Alias)
                and select.alias.lower() == column.name.lower()
                and not (isinstance(select.this, exp.Column) and select.this.name == column.name)
            ):
                return select
        return None

    def _unknown_qualifier(self, scope: Scope, column: exp.Column) -> list[Edge]:
        """``t.c`` where ``t`` is no alias of the scope: the table's own name although it
        is aliased (``FROM menu_items AS mi … menu_items.id``), else a struct column
        ``t`` of the only table that may have it (``SELECT info.name FROM people``)."""
        qualifier = column.table.lower()
        if qualifier in _PSEUDO_RECORDS or qualifier in self.variables:
            return []  # trigger rows (NEW, OLD), ON CONFLICT's EXCLUDED, loop records
        for alias, source in scope.selected_sources.items():
            table = source[1] if isinstance(source, tuple) else source
            if isinstance(table, exp.Table) and table.name.lower() == qualifier:
                return self.from_source(scope, alias, column.name)
        candidates = [s for s in scope.selected_sources if self._may_have(scope, s, qualifier)]
        if len(candidates) == 1:
            edges = self.from_source(scope, candidates[0], column.table)
            return [compose(DIRECT, "TRANSFORMATION", e) for e in edges]
        return []

    @staticmethod
    def _find_source(scope: Scope, source_name: str):
        """The table or scope aliased ``source_name`` in ``scope`` or an enclosing one."""
        current: Scope | None = scope
        while current is not None:
            source = current.sources.get(source_name)
            if source is None:
                selected = current.selected_sources.get(source_name)
                source = selected[1] if selected else None
            if source is not None:
                return source
            current = current.parent
        return None

    def from_source(self, scope: Scope, source_name: str, column: str) -> list[Edge]:
        """Edges of ``column`` read from the source aliased ``source_name`` of ``scope``
        (looked up in enclosing scopes for correlated references)."""
        source = self._find_source(scope, source_name)
        if isinstance(source, exp.Table):
            table = self.table_name(source)
            if not table:
                return []
            return [(table, self.column_name(table, column), DIRECT, "IDENTITY", False)]
        if isinstance(source, Scope):
            return self.column_edges(source, column)
        return []  # VALUES, UNNEST of literals...: no table column behind it

    def _may_have(self, scope: Scope, source_name: str, column: str, strict=False) -> bool:
        source = scope.sources.get(source_name)
        if isinstance(source, exp.Table):
            known = self.known_columns(self.table_name(source))
            if known is None:
                return not strict
            return column.lower() in known
        if isinstance(source, Scope):
            expression = source.expression
            if isinstance(expression, exp.Select | exp.SetOperation):
                selects = selects_of(source)
                if any(s.alias_or_name.lower() == column.lower() for s in selects):
                    return True
                if any(is_star(s) for s in selects):
                    return (not strict) and any(
                        self._may_have(source, name, column) for name in source.selected_sources
                    )
                return False
            if isinstance(expression, exp.Lateral | exp.Unnest | exp.Func):
                alias = expression.args.get("alias")
                names = [c.name.lower() for c in (alias.columns if alias else [])]
                if names:
                    return column.lower() in names
                return not strict
            return not strict
        return False

    # -- stars --------------------------------------------------------------------------

    def _star_sources(self, scope: Scope, star: exp.Expr) -> list[str]:
        if isinstance(star, exp.Column) and star.table:
            return [star.table]
        return list(scope.selected_sources)

    def star_outputs(self, scope: Scope, star: exp.Expr) -> list[tuple[str, list[Edge]]]:
        """(output name, edges) pairs of an unexpanded ``*`` / ``t.*`` of ``scope``:
        named columns where a derived table lists them, ``("*", [(table, "*")])`` for a
        table whose columns are unknown."""
        outputs: list[tuple[str, list[Edge]]] = []
        indirect = self.scope_indirect(scope)
        for source_name in self._star_sources(scope, star):
            source = scope.sources.get(source_name)
            if isinstance(source, exp.Table) and self.table_name(source):
                edge = (self.table_name(source), "*", DIRECT, "IDENTITY", False)
                outputs.append(("*", [edge]))
            elif isinstance(source, Scope) and isinstance(
                source.expression, exp.Select | exp.SetOperation
            ):
                for select in selects_of(source):
                    if is_star(select) and isinstance(source.expression, exp.Select):
                        outputs.extend(self.star_outputs(source, select))
                    elif not is_star(select):
                        name = select.alias_or_name
                        outputs.append((name, self.column_edges(source, name)))
        return [(name, [*edges, *indirect]) for name, edges in outputs]
