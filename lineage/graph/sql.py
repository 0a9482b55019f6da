"""The embedded graph backend: traverses the lineage tables of the SQL database."""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from catalog.models import Asset, Field
from lineage.graph.base import UPSTREAM, GraphBackend
from lineage.models import FieldLineageEdge, LineageEdge

CHUNK = 900  # stays under SQLite's bound-parameter limits with room to spare


class SQLGraphBackend(GraphBackend):
    """Reads ``lineage.LineageEdge`` / ``FieldLineageEdge`` in place.

    Traversal costs one query per direction (:meth:`subgraph`: a recursive CTE, in
    SQLite and PostgreSQL alike, collects the nodes within reach, and the same statement
    returns the edges adjacent to them); :meth:`expand` (one hop, one indexed query per
    chunk of the frontier) serves the job first hop and other backends' tests.
    """

    def __init__(self, **options) -> None:
        self.options = options

    def subgraph(
        self, starts: list[int], direction: str, depth: int | None, *, fields: bool = False
    ) -> dict[int, list[tuple]] | None:
        """See :meth:`GraphBackend.subgraph`; one SQL statement (None, i.e. level by
        level, for more than ``CHUNK`` starts).

        Unbounded, each node enters the recursion once (``UNION`` drops repeats); with a
        ``depth`` the recursion carries the hop count, so a node may enter once per
        distinct distance up to ``depth``.
        """
        if len(starts) > CHUNK:  # a job with that many inputs/outputs: level by level
            return None
        asset = Asset._meta.db_table
        if fields:
            edge, prop = FieldLineageEdge._meta.db_table, "transformation"
            field = Field._meta.db_table
            # a field edge counts when neither field's asset is removed
            live = (
                f"JOIN {field} fu ON fu.id = e.upstream_id "
                f"JOIN {asset} au ON au.id = fu.asset_id AND au.removed = %(no)s "
                f"JOIN {field} fd ON fd.id = e.downstream_id "
                f"JOIN {asset} ad ON ad.id = fd.asset_id AND ad.removed = %(no)s"
            )
        else:
            edge, prop, field = LineageEdge._meta.db_table, "job_id", ""
            live = (
                f"JOIN {asset} au ON au.id = e.upstream_id AND au.removed = %(no)s "
                f"JOIN {asset} ad ON ad.id = e.downstream_id AND ad.removed = %(no)s"
            )
        near, far = (
            ("downstream_id", "upstream_id")
            if direction == UPSTREAM
            else ("upstream_id", "downstream_id")
        )
        params: dict = {"no": False}
        seed_table = field if fields else asset
        marks = ", ".join(f"%(s{i})s" for i in range(len(starts)))
        seeds = f"SELECT id, 0 FROM {seed_table} WHERE id IN ({marks})"
        params.update({f"s{i}": s for i, s in enumerate(starts)})
        bound = ""
        if depth is not None:
            bound, params["depth"] = "WHERE r.hops < %(depth)s", int(depth)
        hops = "r.hops + 1" if depth is not None else "0"
        sql = (
            f"WITH RECURSIVE reach(node, hops) AS ({seeds} "
            f"UNION SELECT e.{far}, {hops} FROM {edge} e JOIN reach r ON e.{near} = r.node "
            f"{live} {bound}) "
            f"SELECT DISTINCT e.upstream_id, e.downstream_id, e.{prop} FROM {edge} e "
            f"JOIN (SELECT DISTINCT node FROM reach) n ON e.{near} = n.node {live}"
        )
        adjacency: dict[int, list[tuple]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            at = 1 if direction == UPSTREAM else 0
            for row in cursor.fetchall():
                adjacency[row[at]].append(row)
        return adjacency

    def expand(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.expand`."""
        column = "downstream_id__in" if direction == UPSTREAM else "upstream_id__in"
        for start in range(0, len(frontier), CHUNK):
            chunk = frontier[start : start + CHUNK]
            yield from (
                LineageEdge.objects.filter(**{column: chunk})
                .filter(upstream__removed=False, downstream__removed=False)
                .values_list("upstream_id", "downstream_id", "job_id")
                .distinct()
            )

    def job_edges(self, jobs: list[int]) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.job_edges`; one query per chunk of ``jobs``."""
        for start in range(0, len(jobs), CHUNK):
            yield from (
                LineageEdge.objects.filter(job_id__in=jobs[start : start + CHUNK])
                .filter(upstream__removed=False, downstream__removed=False)
                .values_list("upstream_id", "downstream_id", "job_id")
                .distinct()
            )

    def expand_fields(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, str]]:
        """See :meth:`GraphBackend.expand_fields`; fields of removed assets are never
        returned (as for :meth:`expand`)."""
        column = "downstream_id__in" if direction == UPSTREAM else "upstream_id__in"
        for start in range(0, len(frontier), CHUNK):
            chunk = frontier[start : start + CHUNK]
            yield from (
                FieldLineageEdge.objects.filter(**{column: chunk})
                .filter(upstream__asset__removed=False, downstream__asset__removed=False)
                .values_list("upstream_id", "downstream_id", "transformation")
                .distinct()
            )
