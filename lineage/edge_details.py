"""Provenance of the edges in a lineage answer: who asserted each edge, when, and
whether it is manual or hidden (issue 13, parts 4 and 5).

A graph edge ``(upstream, downstream, job)`` may be asserted by several rows (one per
source, plus manual ones); the answer lists them as ``assertions`` and sums them up:
``first_seen`` (earliest), ``last_seen`` (latest), ``sources`` (source names, ``manual``
for a manual row), ``manual`` (any manual row), ``hidden`` (every row hidden: the edge
shows only when hidden edges are asked for). One query per 500 upstream nodes.
"""

from collections import defaultdict

from lineage.graph.base import NOW, EdgeView
from lineage.models import FieldLineageEdge, LineageEdge, Provenance, edge_filter

CHUNK = 500
COLUMNS = (
    "id",
    "provenance",
    "origin__name",
    "author__username",
    "note",
    "first_seen",
    "last_seen",
    "valid_from",
    "valid_to",
    "hidden_at",
    "hidden_by__username",
    "hidden_reason",
)


def assertion(row: dict) -> dict:
    """One edge row as the API shows it: ``{id, provenance, source, author, note,
    first_seen, last_seen, valid_from, valid_to, hidden, hidden_at, hidden_by,
    hidden_reason}`` (``source`` None for a manual edge, ``author`` None for a harvested
    one)."""
    return {
        "id": row["id"],
        "provenance": row["provenance"],
        "source": row["origin__name"],
        "author": row["author__username"],
        "note": row["note"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
        "hidden": row["hidden_at"] is not None,
        "hidden_at": row["hidden_at"],
        "hidden_by": row["hidden_by__username"],
        "hidden_reason": row["hidden_reason"],
    }


def summary(rows: list[dict]) -> dict:
    """``{first_seen, last_seen, sources, manual, hidden, assertions}`` of an edge's
    rows (empty rows: Nones and empty lists)."""
    rows = sorted(rows, key=lambda r: (r["valid_from"], r["id"]))
    return {
        "first_seen": min((r["first_seen"] for r in rows), default=None),
        "last_seen": max((r["last_seen"] for r in rows), default=None),
        "sources": sorted(
            {r["source"] or Provenance.MANUAL for r in rows},
        ),
        "manual": any(r["provenance"] == Provenance.MANUAL for r in rows),
        "hidden": bool(rows) and all(r["hidden"] for r in rows),
        "assertions": rows,
    }


def dataset_edge_details(
    edges, view: EdgeView = NOW, job_root: int | None = None
) -> dict[tuple, dict]:
    """``{(up, down, job): summary}`` for the dataset edges of a traversal (id triples).
    With ``job_root`` (lineage rooted at that job) the drawn edges ``(input, job, None)``
    and ``(job, output, None)`` get the rows of the job's own edges."""
    found: dict[tuple, list[dict]] = defaultdict(list)
    wanted = set(edges)
    visible = LineageEdge.objects.filter(edge_filter(view.as_of, view.hidden))
    ups = sorted({u for u, _, _ in wanted})
    for start in range(0, len(ups), CHUNK):
        rows = visible.filter(upstream_id__in=ups[start : start + CHUNK])
        for row in rows.values("upstream_id", "downstream_id", "job_id", *COLUMNS):
            key = (row["upstream_id"], row["downstream_id"], row["job_id"])
            if key in wanted:
                found[key].append(assertion(row))
    if job_root is not None:
        for row in visible.filter(job_id=job_root).values("upstream_id", "downstream_id", *COLUMNS):
            for key in (
                (row["upstream_id"], job_root, None),
                (job_root, row["downstream_id"], None),
            ):
                if key in wanted:
                    found[key].append(assertion(row))
    return {key: summary(found.get(key, [])) for key in wanted}


def field_edge_details(edges, view: EdgeView = NOW) -> dict[tuple, dict]:
    """``{(up field, down field, transformation): {subtypes, ...summary}}`` for the
    column edges of a traversal; ``subtypes`` are the OpenLineage subtypes recorded on
    its rows (sorted)."""
    found: dict[tuple, list[dict]] = defaultdict(list)
    subtypes: dict[tuple, set[str]] = defaultdict(set)
    wanted = set(edges)
    visible = FieldLineageEdge.objects.filter(edge_filter(view.as_of, view.hidden))
    ups = sorted({u for u, _, _ in wanted})
    for start in range(0, len(ups), CHUNK):
        rows = visible.filter(upstream_id__in=ups[start : start + CHUNK])
        for row in rows.values(
            "upstream_id", "downstream_id", "transformation", "subtype", *COLUMNS
        ):
            key = (row["upstream_id"], row["downstream_id"], row["transformation"])
            if key in wanted:
                found[key].append(assertion(row))
                if row["subtype"]:
                    subtypes[key].add(row["subtype"])
    return {
        key: {"subtypes": sorted(subtypes.get(key, set())), **summary(found.get(key, []))}
        for key in wanted
    }
