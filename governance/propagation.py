"""Propagation of accepted classes and glossary terms along column lineage.

An accepted class a person set or accepted on a column (and a glossary term attached
to a column by a person) flows to every column downstream over *direct* field lineage
edges (``FieldLineageEdge.transformation == "DIRECT"``), except edges whose subtype
changes meaning (``MESH_PROPAGATION_STOP_SUBTYPES``, default ``AGGREGATION``: a count
of e-mails is not an e-mail). A propagated row points at its origin
(``propagated_from``: "propagated from <asset>.<column>"); it is withdrawn when the
origin is rejected or removed, or the lineage path disappears. A column that already has
its own decision for the class (accepted or rejected) keeps it; a mere proposal gives
way to the propagated class. Lineage cycles
terminate: each column is visited once per origin.

:func:`propagate` recomputes everything (one pass over the direct field edges); it runs
after every decision and after each finished harvest.
"""

from collections import defaultdict, deque

from django.conf import settings
from django.db import transaction

from catalog.models import Field
from catalog.outbox import reindex_assets
from governance.models import ColumnClass, TermLink
from lineage.models import FieldLineageEdge


def stop_subtypes() -> set[str]:
    """Edge subtypes propagation does not cross (upper case)."""
    value = getattr(settings, "MESH_PROPAGATION_STOP_SUBTYPES", ["AGGREGATION"])
    return {s.strip().upper() for s in value if s.strip()}


def _graph() -> dict[int, list[int]]:
    stops = stop_subtypes()
    down: dict[int, list[int]] = defaultdict(list)
    for up, dn, subtype in FieldLineageEdge.objects.filter(transformation="DIRECT").values_list(
        "upstream_id", "downstream_id", "subtype"
    ):
        if (subtype or "").upper() not in stops:
            down[up].append(dn)
    return down


def _reach(start: int, down: dict[int, list[int]]) -> list[int]:
    """Columns downstream of ``start`` (not itself), breadth first, each once."""
    seen, queue, out = {start}, deque([start]), []
    while queue:
        for nxt in down.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                out.append(nxt)
                queue.append(nxt)
    return out


def _delete(model, ids: list[int], chunk: int = 500) -> None:
    for start in range(0, len(ids), chunk):
        model.objects.filter(id__in=ids[start : start + chunk]).delete()


def propagate() -> dict[str, int]:
    """Recompute the propagated classes and terms; returns ``{"classes": n, "terms": n,
    "withdrawn": n}`` (rows now propagated, rows removed). Changed assets are
    re-indexed."""
    has_roots = (
        ColumnClass.objects.filter(status=ColumnClass.Status.ACCEPTED).exists()
        or TermLink.objects.exclude(asset=None).exclude(field_name="").exists()
    )
    if not has_roots:  # nothing to propagate and nothing propagated: no write at all
        return {"classes": 0, "terms": 0, "withdrawn": 0}
    down = _graph()
    with transaction.atomic():
        # ids of the columns involved: roots and every reachable column
        roots = list(
            ColumnClass.objects.filter(
                status=ColumnClass.Status.ACCEPTED, propagated_from=None
            ).values_list("id", "asset_id", "field_name", "data_class_id")
        )
        term_roots = list(
            TermLink.objects.filter(propagated_from=None)
            .exclude(asset=None)
            .exclude(field_name="")
            .values_list("id", "asset_id", "field_name", "term_id")
        )
        keys = {(a, f) for _, a, f, _ in roots} | {(a, f) for _, a, f, _ in term_roots}
        field_id, field_key = {}, {}
        if down and keys:
            asset_ids = {a for a, _ in keys}
            for fid, a, name in Field.objects.filter(asset_id__in=asset_ids).values_list(
                "id", "asset_id", "name"
            ):
                field_id[(a, name)] = fid
        reach_cache: dict[int, list[int]] = {}

        def targets(asset_id, name):
            fid = field_id.get((asset_id, name))
            if fid is None:
                return []
            if fid not in reach_cache:
                reach_cache[fid] = _reach(fid, down)
            return reach_cache[fid]

        all_targets = {t for a, f in keys for t in targets(a, f)}
        for fid, a, name in Field.objects.filter(id__in=all_targets).values_list(
            "id", "asset_id", "name"
        ):
            field_key[fid] = (a, name)

        changed: set[int] = set()
        # classes
        own = set(
            ColumnClass.objects.filter(propagated_from=None)
            .exclude(status=ColumnClass.Status.PROPOSED)
            .values_list("asset_id", "field_name", "data_class_id")
        )
        wanted: dict[tuple, int] = {}
        for root_id, a, f, cls in sorted(roots):
            for t in targets(a, f):
                key = (*field_key[t], cls)
                if key not in own and key not in wanted:
                    wanted[key] = root_id
        current = {
            (a, f, cls): (pk, root)
            for pk, a, f, cls, root in ColumnClass.objects.exclude(
                propagated_from=None
            ).values_list("id", "asset_id", "field_name", "data_class_id", "propagated_from_id")
        }
        stale = [(key, pk) for key, (pk, root) in current.items() if wanted.get(key) != root]
        _delete(ColumnClass, [pk for _, pk in stale])
        changed |= {key[0] for key, _ in stale}
        withdrawn = len(stale)
        # a propagated class supersedes a mere proposal of the same class on the column
        # (detection proposes it again if the propagation is withdrawn)
        proposals = ColumnClass.objects.filter(
            propagated_from=None, status=ColumnClass.Status.PROPOSED
        )
        superseded = [
            pk
            for pk, a, f, cls in proposals.values_list(
                "id", "asset_id", "field_name", "data_class_id"
            )
            if (a, f, cls) in wanted
        ]
        ColumnClass.objects.filter(id__in=superseded).delete()
        ColumnClass.objects.bulk_create(
            batch_size=1000,
            objs=[
                ColumnClass(
                    asset_id=a,
                    field_name=f,
                    data_class_id=cls,
                    status=ColumnClass.Status.ACCEPTED,
                    method="propagated",
                    confidence=1.0,
                    propagated_from_id=root,
                )
                for (a, f, cls), root in wanted.items()
                if current.get((a, f, cls), (None, None))[1] != root
            ],
        )
        changed |= {k[0] for k in wanted if k not in current}
        # terms
        own_terms = set(
            TermLink.objects.filter(propagated_from=None)
            .exclude(asset=None)
            .values_list("asset_id", "field_name", "term_id")
        )
        wanted_terms: dict[tuple, int] = {}
        for root_id, a, f, term in sorted(term_roots):
            for t in targets(a, f):
                key = (*field_key[t], term)
                if key not in own_terms and key not in wanted_terms:
                    wanted_terms[key] = root_id
        current_terms = {
            (a, f, term): (pk, root)
            for pk, a, f, term, root in TermLink.objects.exclude(propagated_from=None).values_list(
                "id", "asset_id", "field_name", "term_id", "propagated_from_id"
            )
        }
        stale = [
            (key, pk) for key, (pk, root) in current_terms.items() if wanted_terms.get(key) != root
        ]
        _delete(TermLink, [pk for _, pk in stale])
        changed |= {key[0] for key, _ in stale}
        withdrawn += len(stale)
        TermLink.objects.bulk_create(
            [
                TermLink(asset_id=a, field_name=f, term_id=term, propagated_from_id=root)
                for (a, f, term), root in wanted_terms.items()
                if current_terms.get((a, f, term), (None, None))[1] != root
            ]
        )
        changed |= {k[0] for k in wanted_terms if k not in current_terms}
        if changed:
            reindex_assets(changed)
    return {"classes": len(wanted), "terms": len(wanted_terms), "withdrawn": withdrawn}
