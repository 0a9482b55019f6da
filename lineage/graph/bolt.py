"""The Bolt graph backend: lineage on a Neo4j 5 server through the ``neo4j`` driver.

The graph is a projection of the SQL lineage edges, kept current from the outbox by
:class:`lineage.graph.projection.GraphProjection` and rebuilt by ``manage.py
rebuild_graph``. Model (``id`` is the primary key of ``catalog.Asset`` / ``catalog.Field``,
``g`` the generation the node belongs to)::

    (:Asset {g, id})-[:FEEDS {job, vf, vt, h}]->(:Asset {g, id})   job: the job's asset id, 0 = none
    (:Field {g, id, asset})-[:FIELD_FEEDS {transformation, vf, vt, h}]->(:Field {g, id, asset})
    (:LineageGraph {key: "current", gen})                     the generation readers use

Every SQL edge row is projected, ended and hidden ones too: ``vf`` / ``vt`` are its
validity in microseconds since the epoch (``vt`` = :data:`OPEN` while current), ``h``
whether it is hidden; every read filters relationships by the question's
:class:`~lineage.graph.base.EdgeView` exactly as :func:`lineage.models.edge_filter`
filters SQL rows.

Schema (created on first use): uniqueness of ``(g, id)`` for ``Asset`` and ``Field``, an
index on ``Field (g, asset)`` and a relationship index on ``FEEDS (job)``, so a job's edges
are an index seek, never an edge scan.

Traversal costs a bounded number of round trips whatever the depth or fan-out: one
variable-length query per direction returns every edge out of the nodes reachable within
``depth`` hops (Neo4j plans ``-[*0..n]->`` followed by ``DISTINCT`` as a pruning
breadth-first expand, visiting each node once), plus one for a job root's own edges; the
base class then walks that subgraph in memory, so answers equal the ``sql`` backend's.

``rebuild()`` writes a new generation beside the live one, switches
``LineageGraph.gen`` in one transaction, then deletes the old generation: readers see the
old graph or the new one, never a half-built one.

Options (``LINEAGE_GRAPH["default"]``): ``URI`` (``bolt://host:7687``), ``USER``,
``PASSWORD``, ``DATABASE`` (default: the server's default database). Tested against Neo4j
Community 5.26 LTS (``tests/lineage/test_graph_contract.py``).
"""

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import islice

from django.db.models import Q
from neo4j import Driver, GraphDatabase

from lineage.graph.base import NOW, UPSTREAM, EdgeView, ProjectedGraphBackend
from lineage.models import FieldLineageEdge, LineageEdge

#: rows per write transaction and ids per ``IN`` list: small enough for a 512 MiB heap
BATCH = 5000
#: nodes deleted per inner transaction when dropping a generation
DELETE_BATCH = 5000
META_KEY = "current"
#: ``vt`` of a current edge (no end)
OPEN = 2**62
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_DRIVERS: dict[tuple[str, str, str], Driver] = {}
_DRIVERS_LOCK = threading.Lock()

SCHEMA = (
    "CREATE CONSTRAINT mesh_asset_id IF NOT EXISTS FOR (n:Asset) REQUIRE (n.g, n.id) IS UNIQUE",
    "CREATE CONSTRAINT mesh_field_id IF NOT EXISTS FOR (n:Field) REQUIRE (n.g, n.id) IS UNIQUE",
    "CREATE INDEX mesh_field_asset IF NOT EXISTS FOR (n:Field) ON (n.g, n.asset)",
    "CREATE INDEX mesh_feeds_job IF NOT EXISTS FOR ()-[r:FEEDS]-() ON (r.job)",
    "CREATE CONSTRAINT mesh_graph_key IF NOT EXISTS FOR (n:LineageGraph) REQUIRE n.key IS UNIQUE",
)
# Every read starts from the current generation; an empty store has none (no rows). Reads
# carry ``USING INDEX SEEK`` hints: with the generation bound by a previous clause, or on
# a small graph, Neo4j's planner may otherwise pick an index scan over a seek.
CURRENT = "MATCH (m:LineageGraph {key: $key}) WITH m.gen AS g "


def shared_driver(uri: str, user: str = "", password: str = "") -> Driver:
    """The one driver of this process for ``uri`` and credentials (created on first use).

    The driver is thread-safe and pools its connections, so every backend instance and
    thread of the process shares it.
    """
    key = (uri, user, password)
    with _DRIVERS_LOCK:
        if key not in _DRIVERS:
            _DRIVERS[key] = GraphDatabase.driver(
                uri,
                auth=(user, password) if user else None,
                # a first rebuild reads a property not set yet: no warning in the log
                notifications_min_severity="OFF",
            )
        return _DRIVERS[key]


def close_shared_driver(uri: str) -> None:
    """Close and forget the shared drivers of ``uri`` (e.g. before stopping that server);
    the next use opens a new one."""
    with _DRIVERS_LOCK:
        for key in [k for k in _DRIVERS if k[0] == uri]:
            _DRIVERS.pop(key).close()


def _depth_pattern(depth: int | None) -> str:
    """The variable-length bound ``*0..n`` (``*0..`` unbounded) for a validated depth."""
    if depth is None:
        return "*0.."
    return f"*0..{int(depth)}"


def micros(moment: datetime | None) -> int:
    """``moment`` in whole microseconds since the epoch (exact); None is :data:`OPEN`."""
    if moment is None:
        return OPEN
    return (moment - EPOCH) // timedelta(microseconds=1)


def _visible(var: str, view: EdgeView) -> str:
    """The Cypher condition on relationship ``var`` for ``view`` (parameters ``$open``
    and ``$at``, see :func:`_view_params`)."""
    current = f"{var}.vt = $open"
    condition = current if view.as_of is None else f"{var}.vf <= $at AND {var}.vt > $at"
    return condition if view.hidden else f"{condition} AND NOT {var}.h"


def _view_params(view: EdgeView) -> dict:
    return {"open": OPEN, "at": micros(view.as_of) if view.as_of else OPEN}


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BoltGraphBackend(ProjectedGraphBackend):
    """Lineage traversal and storage on a Neo4j 5 server (see the module docstring)."""

    def __init__(
        self, uri: str, user: str = "", password: str = "", database: str | None = None, **options
    ) -> None:
        self.uri, self.user, self.password = uri, user or "", password or ""
        self.database = database or None
        self._schema_ready = False

    @property
    def driver(self) -> Driver:
        """The process-wide shared driver of this backend's server."""
        return shared_driver(self.uri, self.user, self.password)

    def close(self) -> None:
        """Close the shared driver of this server (the next query opens a new one)."""
        close_shared_driver(self.uri)

    def _run(self, query: str, **params) -> list[list]:
        """Run one auto-commit query; returns its rows as lists."""
        with self.driver.session(database=self.database) as session:
            return session.run(query, key=META_KEY, **params).values()

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            for statement in SCHEMA:
                self._run(statement)
            self._schema_ready = True

    def current_generation(self) -> int | None:
        """The generation readers use, None for an empty store."""
        rows = self._run("MATCH (m:LineageGraph {key: $key}) RETURN m.gen")
        return rows[0][0] if rows else None

    # -- reads -----------------------------------------------------------------------
    def subgraph(
        self,
        starts: list[int],
        direction: str,
        depth: int | None,
        *,
        fields: bool = False,
        view: EdgeView = NOW,
    ) -> dict[int, list[tuple]]:
        """See :meth:`GraphBackend.subgraph`: one Cypher query."""
        if fields:
            return self._subgraph(
                "Field", "FIELD_FEEDS", "transformation", starts, direction, depth, view
            )
        return self._subgraph("Asset", "FEEDS", "job", starts, direction, depth, view)

    def _subgraph(
        self,
        label: str,
        rel: str,
        prop: str,
        starts: list[int],
        direction: str,
        depth,
        view: EdgeView = NOW,
    ) -> dict[int, list]:
        """Edges out of (downstream) or into (upstream) every node within ``depth`` hops
        of ``starts``, as ``{node: [(up, down, prop), ...]}`` keyed by the near end
        (a ``job`` of 0 becomes None)."""
        hops = _depth_pattern(depth)
        if direction == UPSTREAM:
            walk, step = f"p = (s)<-[:{rel}{hops}]-(n)", f"(o)-[e:{rel}]->(n)"
            ret = "collect(o.id) AS u, collect(n.id) AS d"
        else:
            walk, step = f"p = (s)-[:{rel}{hops}]->(n)", f"(n)-[e:{rel}]->(o)"
            ret = "collect(n.id) AS u, collect(o.id) AS d"
        query = (
            f"{CURRENT}UNWIND $starts AS sid "
            f"MATCH (s:{label} {{g: g, id: sid}}) USING INDEX SEEK s:{label}(g, id) "
            f"MATCH {walk} WHERE all(r IN relationships(p) WHERE {_visible('r', view)}) "
            f"WITH DISTINCT n MATCH {step} WHERE {_visible('e', view)} "
            f"RETURN {ret}, collect(e.{prop}) AS p"
        )
        adjacency: dict[int, list] = defaultdict(list)
        for ups, downs, props in self._run(query, starts=starts, **_view_params(view)):
            near = downs if direction == UPSTREAM else ups
            if prop == "job":  # 0 stands for "no job"
                props = [p or None for p in props]
            for node, up, down, value in zip(near, ups, downs, props, strict=True):
                adjacency[node].append((up, down, value))
        return adjacency

    def expand(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.expand` (one hop; traversal uses :meth:`subgraph`)."""
        near = "b" if direction == UPSTREAM else "a"
        query = (
            f"{CURRENT}UNWIND $ids AS i MATCH ({near}:Asset {{g: g, id: i}}) "
            f"USING INDEX SEEK {near}:Asset(g, id) "
            f"MATCH (a:Asset)-[r:FEEDS]->(b:Asset) WHERE {_visible('r', view)} "
            "RETURN DISTINCT a.id, b.id, r.job"
        )
        for chunk in _chunks(frontier):
            for up, down, job in self._run(query, ids=chunk, **_view_params(view)):
                yield up, down, (job or None)

    def job_edges(
        self, jobs: list[int], view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.job_edges`: a seek on the ``FEEDS (job)`` index."""
        query = (
            "MATCH (a:Asset)-[r:FEEDS]->(b:Asset) USING INDEX SEEK r:FEEDS(job) "
            f"WHERE r.job IN $ids AND {_visible('r', view)} "
            "MATCH (m:LineageGraph {key: $key}) WHERE a.g = m.gen "
            "RETURN DISTINCT a.id, b.id, r.job"
        )
        for chunk in _chunks(jobs):
            yield from (tuple(row) for row in self._run(query, ids=chunk, **_view_params(view)))

    def expand_fields(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, str]]:
        """See :meth:`GraphBackend.expand_fields` (one hop)."""
        near = "b" if direction == UPSTREAM else "a"
        query = (
            f"{CURRENT}UNWIND $ids AS i MATCH ({near}:Field {{g: g, id: i}}) "
            f"USING INDEX SEEK {near}:Field(g, id) "
            f"MATCH (a:Field)-[r:FIELD_FEEDS]->(b:Field) WHERE {_visible('r', view)} "
            "RETURN DISTINCT a.id, b.id, r.transformation"
        )
        for chunk in _chunks(frontier):
            yield from (tuple(row) for row in self._run(query, ids=chunk, **_view_params(view)))

    # -- incremental writes (outbox) ---------------------------------------------------
    def _live_generation(self) -> int:
        """The current generation, creating generation 1 on an empty store."""
        self._ensure_schema()
        rows = self._run("MERGE (m:LineageGraph {key: $key}) ON CREATE SET m.gen = 1 RETURN m.gen")
        return rows[0][0]

    def sync_assets(self, asset_ids: list[int]) -> int:
        """See :meth:`ProjectedGraphBackend.sync_assets`; returns dataset edges written."""
        if not asset_ids:
            return 0
        gen = self._live_generation()
        written = 0
        for ids in _chunks(sorted(set(asset_ids))):
            self._run(
                "MATCH (n:Asset) WHERE n.g = $gen AND n.id IN $ids "
                "OPTIONAL MATCH (n)-[r:FEEDS]-() DELETE r",
                gen=gen,
                ids=ids,
            )
            self._run(
                "MATCH (n:Field) WHERE n.g = $gen AND n.asset IN $ids "
                "OPTIONAL MATCH (n)-[r:FIELD_FEEDS]-() DELETE r",
                gen=gen,
                ids=ids,
            )
            edges = LineageEdge.objects.filter(Q(upstream_id__in=ids) | Q(downstream_id__in=ids))
            fields = FieldLineageEdge.objects.filter(
                Q(upstream__asset_id__in=ids) | Q(downstream__asset_id__in=ids)
            )
            written += self._write(gen, edges, fields, merge_nodes=True)
        return written

    def remove_assets(self, asset_ids: list[int]) -> None:
        """See :meth:`ProjectedGraphBackend.remove_assets`."""
        if not asset_ids:
            return
        gen = self._live_generation()
        for ids in _chunks(sorted(set(asset_ids))):
            self._run(
                "MATCH (n:Asset) WHERE n.g = $gen AND n.id IN $ids DETACH DELETE n",
                gen=gen,
                ids=ids,
            )
            self._run(
                "MATCH (n:Field) WHERE n.g = $gen AND n.asset IN $ids DETACH DELETE n",
                gen=gen,
                ids=ids,
            )

    # -- rebuild ---------------------------------------------------------------------
    def rebuild(self) -> int:
        """See :meth:`ProjectedGraphBackend.rebuild`: build generation ``current + 1``
        (after dropping leftovers of an interrupted rebuild), switch, drop the old one.
        Returns dataset edges written."""
        self._ensure_schema()
        old = self.current_generation()
        for gen in self._generations():
            if gen != old:
                self._drop_generation(gen)
        new = (old or 0) + 1
        written = self._write(
            new, LineageEdge.objects.all(), FieldLineageEdge.objects.all(), merge_nodes=False
        )
        self._run("MERGE (m:LineageGraph {key: $key}) SET m.gen = $gen", gen=new)
        if old is not None:
            self._drop_generation(old)
        return written

    def _generations(self) -> list[int]:
        """Every generation that has nodes (a label scan; rebuilds only)."""
        rows = self._run("MATCH (n) WHERE n:Asset OR n:Field RETURN DISTINCT n.g AS g ORDER BY g")
        return [g for (g,) in rows]

    def _drop_generation(self, gen: int) -> None:
        for label in ("Asset", "Field"):
            self._run(
                f"MATCH (n:{label}) WHERE n.g = $gen "
                f"CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {DELETE_BATCH} ROWS",
                gen=gen,
            )

    def clear(self) -> None:
        """See :meth:`ProjectedGraphBackend.clear`: every node and relationship."""
        self._run(
            f"MATCH (n) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {DELETE_BATCH} ROWS"
        )

    def _write(self, gen: int, edges, field_edges, *, merge_nodes: bool) -> int:
        """Write the dataset and column edges of the given querysets (removed assets are
        left out) into generation ``gen``, streaming them from SQL in batches; returns
        dataset edges written.

        ``merge_nodes`` False (a fresh generation): nodes are created once, then edges
        are created between them; True (an incremental sync): nodes and edges are merged.
        """
        edges = edges.filter(upstream__removed=False, downstream__removed=False)
        field_edges = field_edges.filter(
            upstream__asset__removed=False, downstream__asset__removed=False
        )
        if not merge_nodes:
            assets = set(edges.values_list("upstream_id", flat=True).distinct())
            assets |= set(edges.values_list("downstream_id", flat=True).distinct())
            for ids in _chunks(sorted(assets)):
                self._run("UNWIND $ids AS i CREATE (:Asset {g: $gen, id: i})", gen=gen, ids=ids)
            del assets
            fields = dict(field_edges.values_list("upstream_id", "upstream__asset_id").distinct())
            fields.update(
                field_edges.values_list("downstream_id", "downstream__asset_id").distinct()
            )
            for chunk in _chunks(sorted(fields.items())):
                self._run(
                    "UNWIND $rows AS r CREATE (:Field {g: $gen, id: r[0], asset: r[1]})",
                    gen=gen,
                    rows=[list(row) for row in chunk],
                )
            del fields
        asset_match = (
            "MERGE (a:Asset {g: $gen, id: r[0]}) MERGE (b:Asset {g: $gen, id: r[1]})"
            if merge_nodes
            else "MATCH (a:Asset {g: $gen, id: r[0]}) MATCH (b:Asset {g: $gen, id: r[1]})"
        )
        rel_verb = "MERGE" if merge_nodes else "CREATE"
        written = 0
        rows = edges.values_list(
            "upstream_id", "downstream_id", "job_id", "valid_from", "valid_to", "hidden_at"
        ).distinct()
        for chunk in _batches(rows.iterator(chunk_size=BATCH)):
            self._run(
                f"UNWIND $rows AS r {asset_match} "
                f"{rel_verb} (a)-[:FEEDS {{job: r[2], vf: r[3], vt: r[4], h: r[5]}}]->(b)",
                gen=gen,
                rows=[
                    [u, d, j or 0, micros(vf), micros(vt), h is not None]
                    for u, d, j, vf, vt, h in chunk
                ],
            )
            written += len(chunk)
        field_match = (
            "MERGE (a:Field {g: $gen, id: r[0]}) SET a.asset = r[1] "
            "MERGE (b:Field {g: $gen, id: r[2]}) SET b.asset = r[3]"
            if merge_nodes
            else "MATCH (a:Field {g: $gen, id: r[0]}) MATCH (b:Field {g: $gen, id: r[2]})"
        )
        field_rows = field_edges.values_list(
            "upstream_id",
            "upstream__asset_id",
            "downstream_id",
            "downstream__asset_id",
            "transformation",
            "valid_from",
            "valid_to",
            "hidden_at",
        ).distinct()
        for chunk in _batches(field_rows.iterator(chunk_size=BATCH)):
            self._run(
                f"UNWIND $rows AS r {field_match} "
                f"{rel_verb} (a)-[:FIELD_FEEDS "
                "{transformation: r[4], vf: r[5], vt: r[6], h: r[7]}]->(b)",
                gen=gen,
                rows=[
                    [*row[:5], micros(row[5]), micros(row[6]), row[7] is not None] for row in chunk
                ],
            )
        return written


def _batches(rows: Iterable, size: int = BATCH) -> Iterable[list]:
    """Lists of up to ``size`` items from an iterator."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
