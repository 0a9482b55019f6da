"""Prepare converted events for the sink: merge facets, fill unknowns, drop no-op writes.

Pipelines send the same job and dataset facts with every run. Rewriting identical assets,
fields and edges on each event is what makes intake slow, so a record that says nothing
new about an asset that this intake refreshed less than ``MESH_OPENLINEAGE_REFRESH_SECONDS``
(default 300) ago is dropped, and so are the edges of an event whose job and outputs
are all unchanged. ``last_seen`` of such assets is therefore at most that many seconds
stale; runs and raw events are always stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from catalog.models import Asset
from harvesters.records import DatasetRecord, FieldLineageRecord, JobRecord, LineageRecord

CHUNK = 500


def refresh_seconds() -> int:
    """``MESH_OPENLINEAGE_REFRESH_SECONDS``: how stale ``last_seen`` may get (seconds)."""
    return int(getattr(settings, "MESH_OPENLINEAGE_REFRESH_SECONDS", 300))


@dataclass
class _State:
    """What the catalog holds about one asset (as far as this intake is concerned)."""

    id: int | None
    openlineage: dict
    type: str
    platform: str
    description: str
    row_count: int | None
    size_bytes: int | None
    fresh: bool


def prepare(convs: list) -> dict[str, int]:
    """Mutate each ``Converted.records`` in place (events in time order); returns the ids
    of the assets already stored, by URN.

    * ``properties["openlineage"]`` is deep-merged with the stored one and across events
      (the sink merges properties one top-level key at a time, which would lose facets);
    * a dataset's unknown ``type``/``platform`` keeps the stored value (an input without
      facets never turns a harvested view into a table) or gets a default;
    * unchanged records and edges are dropped (see the module docstring).
    """
    urns = list(
        {r.urn for c in convs for r in c.records if isinstance(r, DatasetRecord | JobRecord)}
    )
    state = _load(urns)
    for conv in convs:
        keep, unchanged = [], {}
        for r in conv.records:
            if isinstance(r, DatasetRecord | JobRecord):
                st = state.get(r.urn)
                _fill(r, st)
                unchanged[r.urn] = st is not None and st.fresh and _says_nothing_new(r, st)
                state[r.urn] = _after(r, st)
                if unchanged[r.urn]:
                    continue
            keep.append(r)
        assets_same = all(unchanged.values())
        conv.records = [
            r
            for r in keep
            if not (assets_same and isinstance(r, LineageRecord | FieldLineageRecord))
        ]
    return {urn: st.id for urn, st in state.items() if st.id is not None}


def _load(urns: list[str]) -> dict[str, _State]:
    horizon = timezone.now() - timedelta(seconds=refresh_seconds())
    state: dict[str, _State] = {}
    for start in range(0, len(urns), CHUNK):
        rows = Asset.objects.filter(urn__in=urns[start : start + CHUNK]).values_list(
            "id",
            "urn",
            "properties",
            "type",
            "platform",
            "description",
            "row_count",
            "size_bytes",
            "removed",
            "last_seen",
        )
        for aid, urn, props, atype, platform, desc, rows_, size, removed, seen in rows:
            ol = (props or {}).get("openlineage")
            state[urn] = _State(
                aid,
                ol or {},
                atype,
                platform,
                desc,
                rows_,
                size,
                fresh=ol is not None and not removed and seen >= horizon,
            )
    return state


def _fill(r: DatasetRecord | JobRecord, st: _State | None) -> None:
    if isinstance(r, DatasetRecord):
        r.type = r.type or (st.type if st else "") or "table"
        r.platform = r.platform or (st.platform if st else "") or r.namespace
    if "openlineage" in r.properties:
        base = st.openlineage if st else {}
        mine = r.properties["openlineage"]
        merged = {**base, **mine, "facets": {**base.get("facets", {}), **mine.get("facets", {})}}
        r.properties = {**r.properties, "openlineage": merged}


def _says_nothing_new(r: DatasetRecord | JobRecord, st: _State) -> bool:
    """True if writing ``r`` would not change the stored asset (facets, values, IO)."""
    mine: dict[str, Any] = r.properties.get("openlineage") or {}  # already merged
    if mine and mine != st.openlineage:
        return False
    if r.description not in ("", st.description) or r.platform not in ("", st.platform):
        return False
    if isinstance(r, DatasetRecord):
        if r.type not in ("", st.type):
            return False
        if r.row_count not in (None, st.row_count) or r.size_bytes not in (None, st.size_bytes):
            return False
    return True


def _after(r: DatasetRecord | JobRecord, st: _State | None) -> _State:
    """The state once ``r`` is written (for later events of the same batch)."""
    ol = r.properties.get("openlineage") or (st.openlineage if st else {})
    return _State(
        id=st.id if st else None,
        openlineage=ol,
        type=getattr(r, "type", "job") or (st.type if st else ""),
        platform=r.platform or (st.platform if st else ""),
        description=r.description or (st.description if st else ""),
        row_count=getattr(r, "row_count", None) or (st.row_count if st else None),
        size_bytes=getattr(r, "size_bytes", None) or (st.size_bytes if st else None),
        fresh=True,
    )
