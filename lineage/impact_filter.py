"""Transformation types on the read side: impact analysis without INDIRECT lineage
(``GET /api/v1/impact?…&indirect=false``) and the subtypes of column-lineage edges.

A dataset edge upstream → downstream is *indirect-only* when the column lineage between
the two assets is known and every one of its field edges is ``INDIRECT`` (OpenLineage
column-lineage facet: the upstream only filters, joins, groups, sorts or decides
conditions of the downstream, no value flows). Such edges are skipped; an edge without
any column lineage is kept (nothing says it is indirect).
"""

from collections import defaultdict

from lineage.graph.base import DOWNSTREAM, NOW, EdgeView, LineageGraph
from lineage.models import FieldLineageEdge, edge_filter

CHUNK = 500


def indirect_only_pairs(pairs: set[tuple[int, int]], view: EdgeView = NOW) -> set[tuple[int, int]]:
    """Of the ``(upstream asset id, downstream asset id)`` pairs, those whose field edges
    (among those ``view`` sees) are all INDIRECT (and there is at least one)."""
    kinds: dict[tuple[int, int], set[str]] = defaultdict(set)
    ups = sorted({u for u, _ in pairs})
    downs = sorted({d for _, d in pairs})
    for start in range(0, len(ups), CHUNK):
        for down_start in range(0, len(downs), CHUNK):
            rows = FieldLineageEdge.objects.filter(
                edge_filter(view.as_of, view.hidden),
                upstream__asset_id__in=ups[start : start + CHUNK],
                downstream__asset_id__in=downs[down_start : down_start + CHUNK],
            ).values_list("upstream__asset_id", "downstream__asset_id", "transformation")
            for up, down, kind in rows:
                if (up, down) in pairs:
                    kinds[(up, down)].add(kind)
    return {pair for pair, found in kinds.items() if found and "DIRECT" not in found}


def direct_impact(
    backend, root: int, depth: int | None, root_is_job: bool, view: EdgeView = NOW
) -> LineageGraph:
    """``backend.impact`` (every downstream asset, shortest paths) over dataset edges
    that are not indirect-only, among those ``view`` sees."""

    def expand(frontier: list[int], direction: str):
        edges = list(backend.expand(frontier, direction, view))
        drop = indirect_only_pairs({(u, v) for u, v, _ in edges}, view)
        return [e for e in edges if (e[0], e[1]) not in drop]

    first = backend._job_first_hop(root, view) if root_is_job else None
    return backend._traverse(root, DOWNSTREAM, depth, expand, first)


def field_edge_subtypes(edges, view: EdgeView = NOW) -> dict[tuple[int, int, str], set[str]]:
    """``{(upstream field id, downstream field id, transformation): {subtype, ...}}`` of
    the stored field edges among ``edges`` (triples as the graph backends return them)
    that ``view`` sees."""
    found: dict[tuple[int, int, str], set[str]] = defaultdict(set)
    ups = sorted({u for u, _, _ in edges})
    for start in range(0, len(ups), CHUNK):
        rows = FieldLineageEdge.objects.filter(
            edge_filter(view.as_of, view.hidden), upstream_id__in=ups[start : start + CHUNK]
        )
        for u, v, t, sub in rows.values_list(
            "upstream_id", "downstream_id", "transformation", "subtype"
        ):
            if (u, v, t) in edges and sub:
                found[(u, v, t)].add(sub)
    return found
