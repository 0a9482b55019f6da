"""The graph backend interface and the traversal algorithm every backend shares.

A backend supplies two small components, :meth:`GraphBackend.expand` (dataset edges
adjacent to a frontier) and :meth:`GraphBackend.expand_fields` (the same for columns);
the base class does breadth-first traversal, depth bounds and shortest paths on top.
Nodes are asset ids (field ids for column lineage) of the SQL system of record.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

UPSTREAM, DOWNSTREAM, BOTH = "upstream", "downstream", "both"
DIRECTIONS = (UPSTREAM, DOWNSTREAM, BOTH)


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

    def expand(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, int | None]]:
        """Dataset edges (upstream id, downstream id, job id) touching ``frontier``.

        ``direction`` upstream returns edges whose downstream is in the frontier;
        downstream the reverse. Removed assets are never returned.
        """
        raise NotImplementedError

    def expand_fields(self, frontier: list[int], direction: str) -> Iterable[tuple[int, int, str]]:
        """Field edges (upstream field id, downstream field id, transformation)."""
        raise NotImplementedError

    def lineage(self, root: int, direction: str = BOTH, depth: int | None = 3) -> LineageGraph:
        """Breadth-first lineage of asset ``root`` up to ``depth`` hops (None: unbounded)."""
        return self._traverse(root, direction, depth, self.expand)

    def field_lineage(
        self, root: int, direction: str = BOTH, depth: int | None = 3
    ) -> LineageGraph:
        """Breadth-first lineage of field ``root`` (a ``catalog.Field`` id)."""

        def expand(frontier: list[int], d: str):
            return ((u, v, t) for u, v, t in self.expand_fields(frontier, d))

        return self._traverse(root, direction, depth, expand)

    def impact(self, root: int, depth: int | None = None) -> LineageGraph:
        """Every downstream asset of ``root`` with its depth and a shortest path."""
        return self.lineage(root, DOWNSTREAM, depth)

    def _traverse(self, root, direction, depth, expand) -> LineageGraph:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        graph = LineageGraph(root=root, depth={root: 0}, direction={root: "root"})
        for d in (UPSTREAM, DOWNSTREAM) if direction == BOTH else (direction,):
            seen = {root}
            frontier, level = [root], 0
            while frontier and (depth is None or level < depth):
                level += 1
                next_frontier = []
                # sorted: the same shortest path whatever order a backend returns edges in
                for up, down, via in sorted(expand(frontier, d), key=_edge_order):
                    graph.edges.add((up, down, via))
                    node = up if d == UPSTREAM else down
                    if node in seen:
                        continue
                    seen.add(node)
                    next_frontier.append(node)
                    if node not in graph.depth:
                        graph.depth[node] = level
                        graph.direction[node] = d
                        graph.parent[node] = down if d == UPSTREAM else up
                frontier = next_frontier
        # Keep only edges whose both ends were reached (a depth bound cuts the rest).
        graph.edges = {e for e in graph.edges if e[0] in graph.depth and e[1] in graph.depth}
        return graph


def _edge_order(edge: tuple) -> tuple:
    """Sort key of an edge triple whose third item may be None or a string."""
    up, down, via = edge
    return (up, down, via is not None, str(via))
