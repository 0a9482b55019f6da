"""The Bolt graph backend: Neo4j, FalkorDB or Memgraph through the ``neo4j`` driver.

The graph is a projection of the SQL lineage edges: ``(:Asset {id})-[:FEEDS {job}]->``
and ``(:Field {id})-[:FIELD_FEEDS {transformation}]->``, where ``id`` is the primary
key of ``catalog.Asset`` / ``catalog.Field``. It is kept current from the outbox by
:class:`lineage.graph.projection.GraphProjection` and rebuilt with
``manage.py rebuild_graph``. Options (``LINEAGE_GRAPH["default"]``): ``URI``
(``bolt://host:7687``), ``USER``, ``PASSWORD``, ``DATABASE`` (graph name; default the
server's default).
"""

import threading
from collections.abc import Iterable

from neo4j import Driver, GraphDatabase

from lineage.graph.base import UPSTREAM, GraphBackend
from lineage.models import FieldLineageEdge, LineageEdge

BATCH = 2000
_DRIVERS: dict[tuple[str, str, str], Driver] = {}
_DRIVERS_LOCK = threading.Lock()


def shared_driver(uri: str, user: str = "", password: str = "") -> Driver:
    """One driver per server and credentials for the whole process.

    The driver is thread-safe and pools its connections. Sharing it matters: FalkorDB's
    Bolt endpoint stops answering handshakes when clients keep opening and closing
    connections, while one pooled driver stays healthy.
    """
    key = (uri, user, password)
    with _DRIVERS_LOCK:
        if key not in _DRIVERS:
            _DRIVERS[key] = GraphDatabase.driver(uri, auth=(user, password) if user else None)
        return _DRIVERS[key]


def close_shared_driver(uri: str) -> None:
    """Close and forget the shared drivers of ``uri`` (e.g. before stopping that server)."""
    with _DRIVERS_LOCK:
        for key in [k for k in _DRIVERS if k[0] == uri]:
            _DRIVERS.pop(key).close()


class BoltGraphBackend(GraphBackend):
    """Lineage traversal and storage on a Bolt graph server."""

    def __init__(
        self, uri: str, user: str = "", password: str = "", database: str | None = None, **options
    ) -> None:
        auth = (user, password) if user else None
        self.driver = GraphDatabase.driver(uri, auth=auth)
        self.database = database or None

    def close(self) -> None:
        """Close the driver and its connection pool."""
        self.driver.close()

    def _run(self, query: str, **params) -> list[list]:
        with self.driver.session(database=self.database) as session:
            return session.run(query, **params).values()

    # -- reads -----------------------------------------------------------------------
    def expand(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.expand`; one Cypher query per frontier chunk."""
        where = "b.id IN $ids" if direction == UPSTREAM else "a.id IN $ids"
        query = f"MATCH (a:Asset)-[r:FEEDS]->(b:Asset) WHERE {where} RETURN a.id, b.id, r.job"
        for start in range(0, len(frontier), BATCH):
            for up, down, job in self._run(query, ids=frontier[start : start + BATCH]):
                yield up, down, (job if job and job > 0 else None)

    def job_edges(self, jobs: list[int]) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.job_edges`: ``FEEDS`` relationships whose ``job``
        property (the job's asset id; 0 = none) is in ``jobs``."""
        query = "MATCH (a:Asset)-[r:FEEDS]->(b:Asset) WHERE r.job IN $ids RETURN a.id, b.id, r.job"
        for start in range(0, len(jobs), BATCH):
            for up, down, job in self._run(query, ids=jobs[start : start + BATCH]):
                yield up, down, (job if job and job > 0 else None)

    def expand_fields(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, str]]:
        """See :meth:`GraphBackend.expand_fields`."""
        where = "b.id IN $ids" if direction == UPSTREAM else "a.id IN $ids"
        query = (
            f"MATCH (a:Field)-[r:FIELD_FEEDS]->(b:Field) WHERE {where} "
            "RETURN a.id, b.id, r.transformation"
        )
        for start in range(0, len(frontier), BATCH):
            yield from (tuple(row) for row in self._run(query, ids=frontier[start : start + BATCH]))

    # -- writes ----------------------------------------------------------------------
    def clear(self) -> None:
        """Delete every node and relationship of the graph."""
        self._run("MATCH (n) DETACH DELETE n")

    def replace_incoming(self, asset_ids: list[int]) -> int:
        """Make the incoming edges of ``asset_ids`` (and of their fields) match SQL.

        Returns the number of dataset edges written.
        """
        if not asset_ids:
            return 0
        self._run("MATCH (:Asset)-[r:FEEDS]->(b:Asset) WHERE b.id IN $ids DELETE r", ids=asset_ids)
        self._run(
            "MATCH (:Field)-[r:FIELD_FEEDS]->(b:Field) WHERE b.asset IN $ids DELETE r",
            ids=asset_ids,
        )
        edges = LineageEdge.objects.filter(
            downstream_id__in=asset_ids, upstream__removed=False, downstream__removed=False
        )
        fields = FieldLineageEdge.objects.filter(downstream__asset_id__in=asset_ids)
        return self._write(edges, fields)

    def remove_assets(self, asset_ids: list[int]) -> None:
        """Drop the nodes (and edges) of removed assets and their fields."""
        if asset_ids:
            self._run("MATCH (n:Asset) WHERE n.id IN $ids DETACH DELETE n", ids=asset_ids)
            self._run("MATCH (n:Field) WHERE n.asset IN $ids DETACH DELETE n", ids=asset_ids)

    def rebuild(self) -> int:
        """Clear the graph and load every SQL edge; returns dataset edges written."""
        self.clear()
        edges = LineageEdge.objects.filter(upstream__removed=False, downstream__removed=False)
        return self._write(edges, FieldLineageEdge.objects.all())

    def _write(self, edges, field_edges) -> int:
        rows = [
            {"u": u, "d": d, "j": j or 0}
            for u, d, j in edges.values_list("upstream_id", "downstream_id", "job_id").distinct()
        ]
        for start in range(0, len(rows), BATCH):
            self._run(
                "UNWIND $rows AS r MERGE (a:Asset {id: r.u}) MERGE (b:Asset {id: r.d}) "
                "MERGE (a)-[:FEEDS {job: r.j}]->(b)",
                rows=rows[start : start + BATCH],
            )
        frows = [
            {"u": u, "ua": ua, "d": d, "da": da, "t": t}
            for u, ua, d, da, t in field_edges.values_list(
                "upstream_id",
                "upstream__asset_id",
                "downstream_id",
                "downstream__asset_id",
                "transformation",
            ).distinct()
        ]
        for start in range(0, len(frows), BATCH):
            self._run(
                "UNWIND $rows AS r MERGE (a:Field {id: r.u}) SET a.asset = r.ua "
                "MERGE (b:Field {id: r.d}) SET b.asset = r.da "
                "MERGE (a)-[:FIELD_FEEDS {transformation: r.t}]->(b)",
                rows=frows[start : start + BATCH],
            )
        return len(rows)
