"""Table and column lineage from the OpenLineage ``sql`` job facet.

Facet: https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json (``query``, optional
``dialect``). The query is parsed with sqlglot through the shared parser
:func:`harvesters.sqlparsing.lineage.parse_sql_lineage`, one statement at a time, so that a
script's table lineage pairs each statement's inputs with that statement's outputs.

Tables the query names are matched to the event's own inputs and outputs by dotted
suffix, case-insensitively (``menus`` is the event's ``public.menus``). A table the event
does not list becomes a dataset of its own, named as OpenLineage names datasets
(https://openlineage.io/docs/spec/naming): namespace = the one namespace shared by the
event's datasets, else the job's namespace; name = the table as the query writes it,
completed with the qualifier the matched tables show (``tmp_menus`` next to ``menus`` =
``public.menus`` becomes ``public.tmp_menus``) when that qualifier is unambiguous.

Each statement yields table lineage (every table it reads → every table it writes,
through the job) and, for a statement writing one table whose event dataset has no
``columnLineage`` facet, column lineage (DIRECT).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sqlglot
from django.conf import settings

from catalog.urns import dataset_urn, short_name
from harvesters.records import DatasetRecord, FieldLineageRecord, LineageRecord
from harvesters.sqlparsing.dialects import known_dialect
from harvesters.sqlparsing.lineage import SqlLineage, field_edges, parse_sql_lineage


@dataclass
class SqlFacetLineage:
    """What one ``sql`` facet adds to an event.

    ``datasets``: records for tables the event does not list; ``edges``: table lineage
    through the job (pairs the event's inputs × outputs already give are left out);
    ``field_edges``: DIRECT column lineage; ``urns``: every dataset URN the query names
    (matched or new); ``warnings``: parse problems, prefixed ``sql facet:``.
    """

    datasets: list[DatasetRecord] = field(default_factory=list)
    edges: list[LineageRecord] = field(default_factory=list)
    field_edges: list[FieldLineageRecord] = field(default_factory=list)
    urns: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=256)
def parse_statements(sql: str, dialect: str | None = None) -> tuple[SqlLineage, ...]:
    """The lineage of each statement of ``sql`` (one item for a single statement or a
    script sqlglot cannot split; its ``errors`` then say why). Never raises."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=dialect) if s is not None]
        texts = [s.sql(dialect=dialect) for s in statements] if len(statements) > 1 else []
    except Exception:  # noqa: BLE001 - parse_sql_lineage reports the error itself
        texts = []
    if not texts:
        return (parse_sql_lineage(sql, dialect=dialect),)
    return tuple(parse_sql_lineage(text, dialect=dialect) for text in texts)


def _match(table: str, names: dict[str, str]) -> str | None:
    """The event dataset name that parsed table name ``table`` denotes (dotted suffix,
    either way, case-insensitive), or None."""
    low = table.lower()
    for name in names:
        other = name.lower()
        if other == low or other.endswith("." + low) or low.endswith("." + other):
            return name
    return None


def sql_facet_lineage(
    sql: str,
    job_urn: str,
    job_namespace: str,
    inputs: list[dict],
    outputs: list[dict],
    dialect: str | None = None,
    with_columns: set[str] | None = None,
    platform: str = "",
) -> SqlFacetLineage:
    """Lineage of the ``sql`` facet query ``sql`` of the job ``job_urn``.

    ``inputs``/``outputs`` are the event's dataset objects (``{namespace, name}``).
    ``platform`` names the platform of datasets created for unlisted tables when their
    namespace has no scheme (the listed datasets' platform, from their ``dataSource``).
    ``with_columns`` holds the URNs of outputs that already have ``columnLineage`` (no
    column lineage is parsed for them). ``dialect`` is a sqlglot dialect name or None.
    Never raises; see the module docstring for naming and what is produced.
    """
    out = SqlFacetLineage()
    statements = parse_statements(sql, known_dialect(dialect))
    for parsed in statements:
        out.warnings += [f"sql facet: {message}" for message in parsed.errors]
    listed = {d["name"]: d["namespace"] for d in [*inputs, *outputs]}
    namespaces = set(listed.values())
    namespace = namespaces.pop() if len(namespaces) == 1 else job_namespace
    tables = {t for p in statements if p.outputs for t in [*p.inputs, *p.outputs]}
    prefixes: dict[int, set[str]] = {}
    for table in tables:
        name = _match(table, listed)
        if name is not None and name.lower() != table.lower():
            parts, full = table.split("."), name.split(".")
            if len(full) > len(parts):
                prefixes.setdefault(len(parts), set()).add(".".join(full[: -len(parts)]))
    urns: dict[str, str] = {}
    for table in sorted(tables):
        name = _match(table, listed)
        if name is not None:
            urns[table] = dataset_urn(listed[name], name)
            continue
        prefix = prefixes.get(len(table.split(".")), set())
        qualified = f"{next(iter(prefix))}.{table}" if len(prefix) == 1 else table
        urns[table] = dataset_urn(namespace, qualified)
        out.datasets.append(
            DatasetRecord(
                urn=urns[table],
                namespace=namespace,
                qualified_name=qualified,
                name=short_name(qualified),
                platform=namespace.split("://", 1)[0] if "://" in namespace else platform,
                type="",
                properties={"openlineage": {"facets": {}}},
            )
        )
    out.urns = set(urns.values())
    listed_pairs = {
        (dataset_urn(i["namespace"], i["name"]), dataset_urn(o["namespace"], o["name"]))
        for i in inputs
        for o in outputs
    }
    seen: set[tuple[str, str]] = set()
    for parsed in statements:
        for target in parsed.outputs:
            down = urns[target]
            for source in parsed.inputs:
                up = urns[source]
                if up != down and (up, down) not in listed_pairs | seen:
                    seen.add((up, down))
                    out.edges.append(LineageRecord(up, down, job_urn))
        if len(parsed.outputs) != 1 or urns[parsed.outputs[0]] in (with_columns or set()):
            continue
        down = urns[parsed.outputs[0]]
        for column, src in field_edges(parsed, settings.MESH_SQL_INDIRECT_LINEAGE):
            if src.table in urns:
                out.field_edges.append(
                    FieldLineageRecord(
                        urns[src.table],
                        src.column,
                        down,
                        column,
                        src.transformation,
                        subtype=src.subtype,
                        job_urn=job_urn,
                    )
                )
    return out
