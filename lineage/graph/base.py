"""The graph backend interface and the traversal algorithm every backend shares.

A backend supplies three small components, :meth:`GraphBackend.expand` (dataset edges
adjacent to a frontier), :meth:`GraphBackend.job_edges` (the dataset edges a job
carries) and :meth:`GraphBackend.expand_fields` (the same for columns); the base class
does breadth-first traversal, depth bounds and shortest paths on top. Nodes are asset
ids (field ids for column lineage) of the SQL system of record.

A job is not an endpoint of dataset edges but the ``job`` of the edges it carries
(OpenLineage: a run reads its inputs and writes its outputs). Lineage rooted at a job
(``root_is_job=True``) starts from those edges: its inputs are upstream at depth 1, its
outputs downstream at depth 1, and traversal continues from there; the graph then has
an edge ``(input, job, None)`` per input and ``(job, output, None)`` per output in
place of the job's own ``(input, output, job)`` edges.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

UPSTREAM, DOWNSTREAM, BOTH = "upstream", "downstream", "both"
DIRECTIONS = (UPSTREAM, DOWNSTREAM, BOTH)


@dataclass(frozen=True)
class EdgeView:
    """Which edges a question sees: those valid now (``as_of`` None) or at ``as_of``
    (``valid_from <= as_of < valid_to``), hidden ones only with ``hidden`` (see
    :func:`lineage.models.edge_filter`). Every backend applies it the same way."""

    as_of: datetime | None = None
    hidden: bool = False


#: the default view: current, not hidden edges
NOW = EdgeView()


@dataclass
class LineageGraph:
    """A traversal result.

    ``depth[node]`` is hops from the root (0 for the root); ``direction[node]`` is
    ``root``, ``upstream`` or ``downstream``; ``edges`` are ``(upstream, downstream,
    job)`` id triples (job may be None); ``parent[node]`` is the neighbour one hop
    closer to the root on one shortest path.
    """

    root: int
    depth: dict[int, int] = field(default_factory=dict)
    direction: dict[int, str] = field(default_factory=dict)
    parent: dict[int, int] = field(default_factory=dict)
    edges: set[tuple[int, int, int | None]] = field(default_factory=set)

    def path_to(self, node: int) -> list[int]:
        """Node ids from the root to ``node`` along one shortest path."""
        path = [node]
        while path[-1] != self.root:
            path.append(self.parent[path[-1]])
        return path[::-1]


class GraphBackend:
    """Base class of lineage graph backends (``sql``, ``bolt``)."""

    def expand(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """Dataset edges (upstream id, downstream id, job id) touching ``frontier``,
        among those ``view`` sees.

        ``direction`` upstream returns edges whose downstream is in the frontier;
        downstream the reverse. Removed assets are never returned.
        """
        raise NotImplementedError

    def job_edges(
        self, jobs: list[int], view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """Dataset edges (upstream id, downstream id, job id) whose job is in ``jobs``
        (asset ids of kind job), among those ``view`` sees. Removed assets are never
        returned."""
        raise NotImplementedError

    def expand_fields(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, str]]:
        """Field edges (upstream field id, downstream field id, transformation) touching
        ``frontier`` (as :meth:`expand`). Fields of removed assets are never returned."""
        raise NotImplementedError

    def subgraph(
        self,
        starts: list[int],
        direction: str,
        depth: int | None,
        *,
        fields: bool = False,
        view: EdgeView = NOW,
    ) -> dict[int, list[tuple]] | None:
        """Optional: every edge adjacent (in ``direction``) to a node within ``depth`` hops
        of ``starts`` (None: unbounded), as ``{near node: [(up, down, job or
        transformation), ...]}``, in a bounded number of queries; ``fields`` for column
        edges. Job ids of dataset edges are None when there is none. Backends that cannot
        return None (the default): traversal then calls :meth:`expand` level by level."""
        return None

    def lineage(
        self,
        root: int,
        direction: str = BOTH,
        depth: int | None = 3,
        *,
        root_is_job: bool = False,
        view: EdgeView = NOW,
    ) -> LineageGraph:
        """Breadth-first lineage of asset ``root`` up to ``depth`` hops (None: unbounded).

        With ``root_is_job`` the root is a job: its input datasets are its upstream and
        its output datasets its downstream at depth 1 (see the module docstring).
        ValueError for a direction not in :data:`DIRECTIONS`.
        """
        _check_direction(direction)
        first = self._job_first_hop(root, view) if root_is_job else None
        expand = self._prefetch(root, direction, depth, first, fields=False, view=view) or (
            lambda frontier, d: self.expand(frontier, d, view)
        )
        return self._traverse(root, direction, depth, expand, first)

    def field_lineage(
        self, root: int, direction: str = BOTH, depth: int | None = 3, *, view: EdgeView = NOW
    ) -> LineageGraph:
        """Breadth-first lineage of field ``root`` (a ``catalog.Field`` id)."""
        _check_direction(direction)
        expand = self._prefetch(root, direction, depth, None, fields=True, view=view) or (
            lambda frontier, d: self.expand_fields(frontier, d, view)
        )
        return self._traverse(root, direction, depth, expand)

    def _prefetch(self, root, direction, depth, first_hop, *, fields: bool, view: EdgeView = NOW):
        """An ``expand`` over the edges :meth:`subgraph` returns for each direction
        (from the job's inputs / outputs, one hop less, for a job root), or None when
        the backend has no :meth:`subgraph`."""
        prefetched: dict[str, dict[int, list]] = {}
        for d in (UPSTREAM, DOWNSTREAM) if direction == BOTH else (direction,):
            if first_hop is None:
                starts, bound = [root], depth
            else:
                starts = sorted({u if d == UPSTREAM else v for u, v, _ in first_hop[d]})
                bound = None if depth is None else depth - 1
            if not starts or (bound is not None and bound <= 0):
                continue
            edges = self.subgraph(starts, d, bound, fields=fields, view=view)
            if edges is None:
                return None
            prefetched[d] = edges

        def expand(frontier: list[int], d: str):
            adjacency = prefetched.get(d, {})
            for node in frontier:
                yield from adjacency.get(node, ())

        return expand

    def impact(
        self,
        root: int,
        depth: int | None = None,
        *,
        root_is_job: bool = False,
        view: EdgeView = NOW,
    ) -> LineageGraph:
        """Every downstream asset of ``root`` with its depth and a shortest path; for a
        job (``root_is_job``): its outputs at depth 1 and everything downstream of them."""
        return self.lineage(root, DOWNSTREAM, depth, root_is_job=root_is_job, view=view)

    def _job_first_hop(
        self, job: int, view: EdgeView = NOW
    ) -> dict[str, list[tuple[int, int, int | None]]]:
        """The first hop from job ``job`` per direction, as edges touching the job:
        ``{upstream: [(input, job, None)], downstream: [(job, output, None)]}``."""
        inputs, outputs = set(), set()
        for up, down, _ in self.job_edges([job], view):
            inputs.add(up)
            outputs.add(down)
        return {
            UPSTREAM: [(i, job, None) for i in sorted(inputs - {job})],
            DOWNSTREAM: [(job, o, None) for o in sorted(outputs - {job})],
        }

    def _traverse(self, root, direction, depth, expand, first_hop=None) -> LineageGraph:
        """Breadth-first traversal from ``root``; ``first_hop`` (per direction) replaces
        ``expand`` for the first level (a job root, see :meth:`_job_first_hop`)."""
        _check_direction(direction)
        graph = LineageGraph(root=root, depth={root: 0}, direction={root: "root"})
        for d in (UPSTREAM, DOWNSTREAM) if direction == BOTH else (direction,):
            seen = {root}
            frontier, level = [root], 0
            while frontier and (depth is None or level < depth):
                level += 1
                next_frontier = []
                fresh: set[int] = set()  # nodes given their depth and parent at this level
                hop = first_hop[d] if first_hop is not None and level == 1 else None
                edges = hop if hop is not None else expand(frontier, d)
                upstream = d == UPSTREAM
                for up, down, via in edges:
                    if first_hop is not None and via == root:
                        continue  # drawn through the job node instead
                    graph.edges.add((up, down, via))
                    node, near = (up, down) if upstream else (down, up)
                    if node in seen:
                        # the smallest neighbour wins: the same shortest path whatever
                        # order a backend returns edges in
                        if node in fresh and near < graph.parent[node]:
                            graph.parent[node] = near
                        continue
                    seen.add(node)
                    next_frontier.append(node)
                    if node not in graph.depth:
                        graph.depth[node] = level
                        graph.direction[node] = d
                        graph.parent[node] = near
                        fresh.add(node)
                frontier = next_frontier
        # Keep only edges whose both ends were reached (a depth bound cuts the rest;
        # unbounded, every edge's far end was reached).
        if depth is not None:
            graph.edges = {e for e in graph.edges if e[0] in graph.depth and e[1] in graph.depth}
        return graph


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")


class ProjectedGraphBackend(GraphBackend):
    """A graph backend that keeps its own copy of the lineage edges (e.g. ``bolt``).

    :class:`lineage.graph.projection.GraphProjection` keeps that copy current from the
    outbox and ``manage.py rebuild_graph`` rebuilds it; backends that read the SQL tables
    in place (``sql``) subclass :class:`GraphBackend` directly and are left alone.
    """

    def sync_assets(self, asset_ids: list[int]) -> int:
        """Make every edge touching ``asset_ids`` (incoming and outgoing, dataset and
        column edges) match SQL; returns dataset edges written."""
        raise NotImplementedError

    def remove_assets(self, asset_ids: list[int]) -> None:
        """Drop removed assets, their fields and every edge touching them."""
        raise NotImplementedError

    def rebuild(self) -> int:
        """Replace the whole copy with one built from SQL, atomically for readers;
        returns dataset edges written."""
        raise NotImplementedError

    def clear(self) -> None:
        """Delete the whole copy (tests; a rebuild brings it back)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (called when the settings change)."""
