"""Counting usage in memory while a log is read; each query shape is parsed once.

:class:`UsageAggregator` takes statements (``add``) and keeps one counter per
(shape, day, user): a million-line log with 5,000 shapes costs 5,000 parses (after the
read, in the SQL parse pool) and a few dictionary updates per line. :meth:`UsageAggregator.tables` then spreads the counters
over the tables, columns, users and co-used tables of each shape.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import permutations

from harvesters.report import HarvestReport
from harvesters.sqlparsing.pool import ParseFailure, parse_many
from usage.fingerprint import fingerprint, normalise

#: subtypes of INDIRECT column edges counted as "filtered" and "joined"
FILTER_SUBTYPES = {"FILTER", "CONDITIONAL"}
JOIN_SUBTYPES = {"JOIN"}


@dataclass(slots=True)
class Shape:
    """One parsed query shape: ``inputs``/``outputs`` lower-cased qualified table names;
    ``columns`` ``{(table, column): [selected, filtered, joined]}`` (0/1 each);
    ``field_edges`` ``[(up table, up column, down table, down column, subtype)]`` of the
    DIRECT column edges into written tables; ``error`` why nothing was read from it."""

    fingerprint: str
    text: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    columns: dict = field(default_factory=dict)
    field_edges: list = field(default_factory=list)
    error: str = ""

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables read or written, each once."""
        return tuple(dict.fromkeys(self.inputs + self.outputs))


@dataclass
class TableUsage:
    """What :meth:`UsageAggregator.tables` returns, keyed by lower-cased table names.

    ``days[(table, day)] = [queries, writes, rows, duration_ms, {users}]``;
    ``columns[(table, column, day)] = [selected, filtered, joined]``;
    ``users[(table, day, user)] = queries``; ``co_used[(table, other, day)] = queries``;
    ``queries[(table, day, fingerprint)] = queries``; ``edges[(up, down)] = (first day,
    last day)``; ``field_edges[(up, up column, down, down column, subtype)]``;
    ``shapes[fingerprint] = Shape`` (those that touched a table).
    """

    days: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    users: dict = field(default_factory=lambda: defaultdict(int))
    co_used: dict = field(default_factory=lambda: defaultdict(int))
    queries: dict = field(default_factory=lambda: defaultdict(int))
    edges: dict = field(default_factory=dict)
    field_edges: set = field(default_factory=set)
    shapes: dict = field(default_factory=dict)


class UsageAggregator:
    """Counts statements by (shape, day, user).

    ``dialect`` is a sqlglot dialect name (None: generic); ``default_database`` and
    ``default_schema`` qualify table names for statements whose log line names none.
    Unparseable shapes are counted in ``report.counts["statements_unparsed"]`` and
    reported once per shape and reason (a warning naming the shape's first line).
    """

    def __init__(
        self,
        report: HarvestReport,
        dialect: str | None = None,
        default_database: str = "",
        default_schema: str = "",
    ) -> None:
        self.report = report
        self.dialect = dialect
        self.default_database = default_database or ""
        self.default_schema = default_schema or ""
        self.shapes: dict[tuple, Shape] = {}
        self.pending: dict[tuple, tuple[str, str]] = {}  # key -> (first query, its item)
        self.statements = 0  # counted here, reported by tables(): a Counter costs per line
        self.counts: dict[tuple, list] = {}

    def add(
        self,
        query: str,
        user: str,
        day,
        rows: int = 0,
        duration_ms: float = 0.0,
        database: str = "",
        schema: str = "",
        calls: int = 1,
        item: str = "",
    ) -> None:
        """Count ``calls`` executions of ``query`` by ``user`` on ``day`` (a date);
        ``rows`` and ``duration_ms`` are their totals; ``item`` names the statement in
        the report (``file:line``)."""
        key = (normalise(query), database or self.default_database, schema or self.default_schema)
        if key not in self.pending:
            self.pending[key] = (query, item)  # parsed once, by parse_all()
        counter_key = (key, day, user)
        counter = self.counts.get(counter_key)
        if counter is None:
            self.counts[counter_key] = [calls, rows or 0, duration_ms or 0.0]
        else:
            counter[0] += calls
            counter[1] += rows or 0
            counter[2] += duration_ms or 0.0
        self.statements += calls

    def parse_all(self) -> None:
        """Parse each new shape once (its first query as logged), in the SQL parse pool
        (``MESH_SQL_PARSE_WORKERS`` processes) when there are many."""
        keys = [k for k in self.pending if k not in self.shapes]
        jobs = [(self.pending[k][0], k[1] or None, k[2] or None) for k in keys]
        for key, lineage in zip(keys, parse_many(jobs, self.dialect, None), strict=True):
            self.shapes[key] = self._shape(key, lineage, self.pending[key][1])
        self.pending.clear()

    def _shape(self, key: tuple, lineage, item: str) -> Shape:
        text, database, schema = key
        shape = Shape(fingerprint(text, database, schema), text)
        self.report.counts["query_shapes"] += 1
        if isinstance(lineage, ParseFailure):
            shape.error = f"parser failed: {lineage}"
            self.report.warn(item or shape.fingerprint[:12], f"query not used: {shape.error}")
            return shape
        shape.inputs = tuple(lineage.inputs)
        shape.outputs = tuple(lineage.outputs)
        if not shape.inputs and not shape.outputs:
            shape.error = lineage.errors[0] if lineage.errors else "names no table"
            self.report.warn(item or shape.fingerprint[:12], f"query not used: {shape.error}")
            return shape
        for edge in lineage.column_lineage:
            if edge.source_column == "*":
                continue
            flags = shape.columns.setdefault((edge.source_table, edge.source_column), [0, 0, 0])
            if edge.transformation == "DIRECT":
                flags[0] = 1
                if edge.target_table and edge.target_column != "*":
                    shape.field_edges.append(
                        (edge.source_table, edge.source_column, edge.target_table,
                         edge.target_column, edge.subtype)
                    )  # fmt: skip
            elif edge.subtype in FILTER_SUBTYPES:
                flags[1] = 1
            elif edge.subtype in JOIN_SUBTYPES:
                flags[2] = 1
        return shape

    def tables(self) -> TableUsage:
        """Spread the counters over tables (see :class:`TableUsage`), consuming them (a
        second call returns nothing); unparsed statements are counted in
        ``report.counts["statements_unparsed"]``."""
        self.parse_all()
        self.report.counts["statements"] = self.statements
        out = TableUsage()
        counts, self.counts = self.counts, {}  # freed as soon as spread
        for (key, day, user), (calls, rows, duration) in counts.items():
            shape = self.shapes[key]
            if shape.error:
                self.report.counts["statements_unparsed"] += calls
                continue
            out.shapes[shape.fingerprint] = shape
            for table in shape.tables:
                entry = out.days.get((table, day))
                if entry is None:
                    entry = out.days[(table, day)] = [0, 0, 0, 0.0, set()]
                entry[0] += calls
                if table in shape.outputs:
                    entry[1] += calls
                entry[2] += rows
                entry[3] += duration
                entry[4].add(user)
                out.users[(table, day, user)] += calls
                out.queries[(table, day, shape.fingerprint)] += calls
            for (table, column), (sel, fil, join) in shape.columns.items():
                counts = out.columns.get((table, column, day))
                if counts is None:
                    counts = out.columns[(table, column, day)] = [0, 0, 0]
                counts[0] += sel * calls
                counts[1] += fil * calls
                counts[2] += join * calls
            for table, other in permutations(shape.inputs, 2):
                out.co_used[(table, other, day)] += calls
            for down in shape.outputs:
                for up in shape.inputs:
                    if up != down:
                        first, last = out.edges.get((up, down), (day, day))
                        out.edges[(up, down)] = (min(first, day), max(last, day))
            out.field_edges.update(shape.field_edges)
        return out
