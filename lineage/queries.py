"""Lineage and impact questions answered for the API and the web pages.

Each function takes URNs and returns plain dicts/lists ready to serialise; traversal
goes through the configured graph backend (:func:`lineage.graph.get_graph_backend`).
"""

from collections import defaultdict
from typing import NamedTuple

from django.shortcuts import get_object_or_404

from catalog.models import Asset, Field, Ownership
from lineage.edge_details import dataset_edge_details, field_edge_details
from lineage.graph import get_graph_backend
from lineage.graph.base import BOTH, NOW, EdgeView
from lineage.impact_filter import direct_impact


class AssetRow(NamedTuple):
    """The columns of an asset the lineage answers show (no model instance: cheaper
    for the tens of thousands of nodes an impact analysis may return)."""

    id: int
    urn: str
    name: str
    type: str
    platform: str


def _assets_by_id(ids) -> dict[int, AssetRow]:
    """``{id: AssetRow}`` of ``ids``: one query (the ``in_ids`` lookup, :mod:`catalog.idlists`)."""
    rows = Asset.objects.filter(id__in_ids=ids).values_list("id", "urn", "name", "type", "platform")
    return {row[0]: AssetRow(*row) for row in rows}


def _owners_by_asset(ids) -> dict[int, list[str]]:
    """``{asset id: [owner name, ...]}`` of ``ids``: one query."""
    owners: dict[int, list[str]] = defaultdict(list)
    for asset_id, name in Ownership.objects.filter(asset_id__in_ids=ids).values_list(
        "asset_id", "owner__name"
    ):
        owners[asset_id].append(name)
    return owners


def asset_lineage(
    urn: str, direction: str = BOTH, depth: int | None = 3, view: EdgeView = NOW
) -> dict:
    """``{nodes: [{urn, name, type, platform, depth, direction}], edges: [{source,
    target, job, first_seen, last_seen, sources, manual, hidden, assertions}]}`` around
    the asset ``urn``; Http404 if unknown, ValueError for a bad direction. ``depth`` None
    means unbounded. ``view``: the edges valid now or at a past time, hidden ones or not
    (:class:`lineage.graph.base.EdgeView`); each edge's provenance comes from
    :func:`lineage.edge_details.dataset_edge_details`.

    Rooted at a job (``urn:mc:job:...``), the job's input datasets are upstream and its
    output datasets downstream at depth 1, joined to the job by edges ``{source: input,
    target: job, job: None}`` / ``{source: job, target: output, job: None}``; traversal
    continues from them (see :mod:`lineage.graph.base`)."""
    root = get_object_or_404(Asset, urn=urn)
    is_job = root.kind == "job"
    graph = get_graph_backend().lineage(root.id, direction, depth, root_is_job=is_job, view=view)
    assets = _assets_by_id(set(graph.depth) | {j for *_, j in graph.edges if j})
    nodes = [
        {
            "urn": assets[n].urn,
            "name": assets[n].name,
            "type": assets[n].type,
            "platform": assets[n].platform,
            "depth": d,
            "direction": graph.direction[n],
        }
        for n, d in sorted(graph.depth.items(), key=lambda item: (item[1], assets[item[0]].urn))
    ]
    details = dataset_edge_details(graph.edges, view, root.id if is_job else None)
    edges = sorted(
        (assets[u].urn, assets[v].urn, assets[j].urn if j else "", (u, v, j))
        for u, v, j in graph.edges
    )
    return {
        "nodes": nodes,
        "edges": [
            {"source": s, "target": t, "job": j or None, **details[key]} for s, t, j, key in edges
        ],
    }


def column_lineage(
    urn: str, field: str, direction: str = BOTH, depth: int | None = 3, view: EdgeView = NOW
) -> dict:
    """``{nodes: [{urn, field, name, depth, direction}], edges: [{source: {urn, field},
    target: {urn, field}, transformation, subtypes: [...], first_seen, last_seen,
    sources, manual, hidden, assertions}]}`` for column ``field`` of asset ``urn``;
    ``transformation`` is DIRECT or INDIRECT, ``subtypes`` the OpenLineage subtypes
    recorded for it (IDENTITY, AGGREGATION, FILTER, JOIN...; may be empty). ``view`` as
    for :func:`asset_lineage`. Http404 if the asset or field is unknown: now, the
    asset's current columns; with ``view.as_of``, dropped columns too (their ended
    edges answer for times before the drop)."""
    rows = Field.objects if view.as_of is None else Field.all_objects
    root = get_object_or_404(rows.select_related("asset"), asset__urn=urn, name=field)
    graph = get_graph_backend().field_lineage(root.id, direction, depth, view=view)
    fields = Field.all_objects.select_related("asset").in_bulk(list(graph.depth))

    def ref(fid: int) -> dict:
        return {"urn": fields[fid].asset.urn, "field": fields[fid].name}

    nodes = [
        {
            **ref(n),
            "name": f"{fields[n].asset.name}.{fields[n].name}",
            "depth": d,
            "direction": graph.direction[n],
        }
        for n, d in sorted(
            graph.depth.items(), key=lambda i: (i[1], fields[i[0]].asset.urn, fields[i[0]].name)
        )
    ]
    details = field_edge_details(graph.edges, view)
    edges = [
        {"source": ref(u), "target": ref(v), "transformation": t, **details[(u, v, t)]}
        for u, v, t in sorted(graph.edges, key=lambda e: (e[0], e[1], e[2]))
    ]
    return {"nodes": nodes, "edges": edges}


def impact(
    urn: str, depth: int | None = None, indirect: bool = True, view: EdgeView = NOW
) -> list[dict]:
    """Every downstream asset of ``urn``: ``[{urn, name, type, platform, depth, path:
    [urn, ...], owners: [name, ...]}]`` ordered by depth then URN, uncapped. ``path``
    is one shortest path from ``urn``. Http404 if ``urn`` is unknown.

    The impact of a job is its output datasets (depth 1) and everything downstream of
    them; their paths start at the job. ``indirect=False`` skips dataset edges whose
    column lineage is all INDIRECT (:mod:`lineage.impact_filter`). ``view`` as for
    :func:`asset_lineage` (hidden edges are left out unless it says otherwise)."""
    root = get_object_or_404(Asset, urn=urn)
    backend = get_graph_backend()
    if indirect:
        graph = backend.impact(root.id, depth, root_is_job=root.kind == "job", view=view)
    else:
        graph = direct_impact(backend, root.id, depth, root.kind == "job", view)
    assets = _assets_by_id(graph.depth)
    owners = _owners_by_asset(graph.depth)
    # Breadth-first order: a node's parent (one hop nearer the root) has its path
    # already, so each path is its parent's plus one URN (no walk back to the root).
    order = sorted(graph.depth.items(), key=lambda item: (item[1], assets[item[0]].urn))
    paths = {root.id: [assets[root.id].urn]}
    rows = []
    for n, d in order:
        if n == root.id:
            continue
        asset = assets[n]
        path = paths[n] = [*paths[graph.parent[n]], asset.urn]
        rows.append(
            {
                "urn": asset.urn,
                "name": asset.name,
                "type": asset.type,
                "platform": asset.platform,
                "depth": d,
                "path": path,
                "owners": sorted(owners.get(n, ())),
            }
        )
    return rows
