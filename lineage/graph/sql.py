"""The embedded graph backend: traverses the lineage tables of the SQL database."""

from collections.abc import Iterable

from catalog.models import Asset
from lineage.graph.base import (
    BOTH,
    NOW,
    UPSTREAM,
    EdgeView,
    GraphBackend,
    LineageGraph,
    _check_direction,
)
from lineage.models import FieldLineageEdge, LineageEdge, edge_filter


def _removed_among(ids) -> set[int]:
    """The removed assets among ``ids``: one query."""
    return set(Asset.objects.filter(id__in_ids=ids, removed=True).values_list("id", flat=True))


def _without_removed(
    edges: set[tuple[int, int, int | None]],
) -> list[tuple[int, int, int | None]]:
    """``edges`` less those with a removed end, checked in one query over their distinct
    ends (cheaper than joining the asset table twice per edge: a level's edges share
    their ends)."""
    if not edges:
        return []
    removed = _removed_among({up for up, _, _ in edges} | {down for _, down, _ in edges})
    if not removed:
        return list(edges)
    return [e for e in edges if e[0] not in removed and e[1] not in removed]


class SQLGraphBackend(GraphBackend):
    """Reads ``lineage.LineageEdge`` / ``FieldLineageEdge`` level by level.

    One indexed query per level, the frontier's ids bound as one parameter
    (the ``in_ids`` lookup, :mod:`catalog.idlists`): ``depth`` levels cost ``depth`` round trips
    whatever the fan-out. (A recursive CTE fetching the whole
    subgraph in one statement was measured slower on SQLite and PostgreSQL alike:
    ``benchmarks/README.md``.)
    """

    def __init__(self, **options) -> None:
        self.options = options

    def lineage(
        self,
        root: int,
        direction: str = BOTH,
        depth: int | None = 3,
        *,
        root_is_job: bool = False,
        view: EdgeView = NOW,
    ) -> LineageGraph:
        """See :meth:`GraphBackend.lineage`. Removed assets are checked once for the
        whole answer instead of once per level: the traversal reads edges alone, then
        one query finds removed assets among the nodes reached; when there are any
        (rare), the traversal runs again without them (leaving nodes out can only
        shrink what is reached, so a second run finds no new removed node)."""
        _check_direction(direction)
        first = self._job_first_hop(root, view) if root_is_job else None
        skip: set[int] = set()

        def expand(frontier: list[int], d: str):
            edges = self._current_edges(frontier, d, view)
            if skip:
                return [e for e in edges if e[0] not in skip and e[1] not in skip]
            return edges

        graph = self._traverse(root, direction, depth, expand, first)
        skip |= _removed_among(graph.depth)
        if skip:
            graph = self._traverse(root, direction, depth, expand, first)
        return graph

    def _current_edges(
        self, frontier: list[int], direction: str, view: EdgeView
    ) -> set[tuple[int, int, int | None]]:
        """Dataset edges touching ``frontier`` that ``view`` sees, removed ends included:
        one query, answered from a covering index for the default view."""
        column = "downstream_id__in_ids" if direction == UPSTREAM else "upstream_id__in_ids"
        return set(
            LineageEdge.objects.filter(**{column: frontier})
            .filter(edge_filter(view.as_of, view.hidden))
            .values_list("upstream_id", "downstream_id", "job_id")
        )

    def expand(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.expand`."""
        return _without_removed(self._current_edges(frontier, direction, view))

    def job_edges(
        self, jobs: list[int], view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, int | None]]:
        """See :meth:`GraphBackend.job_edges`; one query."""
        edges = set(
            LineageEdge.objects.filter(job_id__in_ids=jobs)
            .filter(edge_filter(view.as_of, view.hidden))
            .values_list("upstream_id", "downstream_id", "job_id")
        )
        return _without_removed(edges)

    def expand_fields(
        self, frontier: list[int], direction: str, view: EdgeView = NOW
    ) -> Iterable[tuple[int, int, str]]:
        """See :meth:`GraphBackend.expand_fields`; fields of removed assets are never
        returned (as for :meth:`expand`)."""
        column = "downstream_id__in_ids" if direction == UPSTREAM else "upstream_id__in_ids"
        yield from (
            FieldLineageEdge.objects.filter(**{column: frontier})
            .filter(edge_filter(view.as_of, view.hidden))
            .filter(upstream__asset__removed=False, downstream__asset__removed=False)
            .values_list("upstream_id", "downstream_id", "transformation")
            .distinct()
        )
