"""The embedded graph backend: traverses the lineage tables of the SQL database."""

import sqlite3
from collections.abc import Iterable

from django.db import connection

from lineage.graph.base import NOW, UPSTREAM, EdgeView, GraphBackend
from lineage.models import FieldLineageEdge, LineageEdge, edge_filter

MAX_IN_LIST = 10_000


def in_list_size() -> int:
    """How many ids one ``IN (...)`` list may carry on the default database: 10,000, or
    less where the database limits bound parameters (SQLite: its compiled
    ``SQLITE_LIMIT_VARIABLE_NUMBER``, 32,766 since 3.32; 999 before), minus room for the
    query's other parameters."""
    limit = MAX_IN_LIST
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python < 3.11
            limit = connection.features.max_query_params or 999
    return max(1, min(limit, MAX_IN_LIST) - 20)


class SQLGraphBackend(GraphBackend):
    """Reads ``lineage.LineageEdge`` / ``FieldLineageEdge`` level by level.

    One indexed query per level and chunk of :func:`in_list_size` ids of the frontier:
    ``depth`` levels cost about ``depth`` round trips whatever the fan-out. (A recursive CTE fetching the whole
    subgraph in one statement was measured slower on SQLite and PostgreSQL alike:
    ``benchmarks/README.md``.)
    """

    def __init__(self, **options) -> None:
        self.options = options

    def expand(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.expand`."""
        column = "downstream_id__in" if direction == UPSTREAM else "upstream_id__in"
        size = in_list_size()
        for start in range(0, len(frontier), size):
            chunk = frontier[start : start + size]
            yield from (
                LineageEdge.objects.filter(**{column: chunk})
                .filter(edge_filter(view.as_of, view.hidden))
                .filter(upstream__removed=False, downstream__removed=False)
                .values_list("upstream_id", "downstream_id", "job_id")
                .distinct()
            )

    def job_edges(
        self, jobs: list[int], view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.job_edges`; one query per chunk of ``jobs``."""
        size = in_list_size()
        for start in range(0, len(jobs), size):
            yield from (
                LineageEdge.objects.filter(job_id__in=jobs[start : start + size])
                .filter(edge_filter(view.as_of, view.hidden))
                .filter(upstream__removed=False, downstream__removed=False)
                .values_list("upstream_id", "downstream_id", "job_id")
                .distinct()
            )

    def expand_fields(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, str]]:
        """See :meth:`GraphBackend.expand_fields`; fields of removed assets are never
        returned (as for :meth:`expand`)."""
        column = "downstream_id__in" if direction == UPSTREAM else "upstream_id__in"
        size = in_list_size()
        for start in range(0, len(frontier), size):
            chunk = frontier[start : start + size]
            yield from (
                FieldLineageEdge.objects.filter(**{column: chunk})
                .filter(edge_filter(view.as_of, view.hidden))
                .filter(upstream__asset__removed=False, downstream__asset__removed=False)
                .values_list("upstream_id", "downstream_id", "transformation")
                .distinct()
            )
