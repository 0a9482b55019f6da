"""History of lineage edges and schemas (issue 13, part 5).

Edges are never hard-deleted: a harvest that stops asserting one ends it
(:func:`end_stale_edges`: ``valid_to`` set, key renamed ``<key>@<id>`` so the fact seen
again starts a new row and interval), and a hiding carries over to that new row. A column
dropped from an authoritative schema is soft-deleted and its column edges ended
(:func:`remove_fields`).
Schemas are kept as versions (:class:`lineage.models.SchemaVersion`): after fields are
upserted, :func:`record_schema_versions` adds a version when an asset's columns differ
from its current one; :func:`schema_diff` compares any two versions.
"""

import hashlib
import json
from collections import defaultdict
from datetime import datetime

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from catalog.models import Field, HarvestRun, Source
from lineage.models import FieldLineageEdge, LineageEdge, SchemaVersion

CHUNK = 500
COLUMN_KEYS = ("name", "data_type", "native_type", "nullable")


def ended_key():
    """The expression renaming an ended edge's key to ``<key>@<id>`` (unique forever)."""
    return Concat(F("key"), Value("@"), Cast("id", CharField()))


def end_stale_edges(source: Source, run: HarvestRun) -> set[str]:
    """End the current edges (dataset and column) of ``source`` not reported by ``run``;
    carry hidings over to rows this run created for facts hidden before. Returns the
    URNs of the affected downstream assets (for outbox events)."""
    now = timezone.now()
    urns: set[str] = set()
    for model, down in (
        (LineageEdge, "downstream__urn"),
        (FieldLineageEdge, "downstream__asset__urn"),
    ):
        stale = model.objects.filter(origin=source, valid_to__isnull=True).exclude(run=run)
        urns |= set(stale.values_list(down, flat=True))
        stale.update(valid_to=now, key=ended_key())
        urns |= carry_hidings(model, source, run)
    return urns


def remove_fields(field_ids, when: datetime | None = None) -> set[str]:
    """Soft-delete the columns ``field_ids`` (``removed_at`` = ``when``, default now)
    and end every current column edge touching them (``valid_to`` = ``when``, key renamed
    as in :func:`end_stale_edges`; harvested and manual alike, since the column is gone),
    so ``as_of`` an earlier time still answers them. Returns the URNs of the assets at
    either end of the ended edges (for outbox events). Two queries per 500 columns plus
    one per 500 edges."""
    when = when or timezone.now()
    ids = sorted(set(field_ids))
    urns: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        Field.all_objects.filter(id__in=chunk, removed_at__isnull=True).update(removed_at=when)
        ending = FieldLineageEdge.objects.filter(
            Q(upstream_id__in=chunk) | Q(downstream_id__in=chunk), valid_to__isnull=True
        )
        for up, down in ending.values_list("upstream__asset__urn", "downstream__asset__urn"):
            urns.update((up, down))
        ending.update(valid_to=when, key=ended_key())
    return urns


def carry_hidings(model, source: Source, run: HarvestRun) -> set[str]:
    """A fact hidden by an owner that disappeared and came back in ``run`` is hidden
    again (same reason, person and time): the hiding survives re-harvests even across a
    gap. Only rows this run created are considered, so an owner's later un-hiding stands.
    Returns the downstream URNs of the rows hidden again."""
    ended_hidden = model.objects.filter(
        origin=source, valid_to__isnull=False, hidden_at__isnull=False
    ).values_list("key", "valid_to", "hidden_at", "hidden_by_id", "hidden_reason")
    latest: dict[str, tuple] = {}
    for key, valid_to, *hide in ended_hidden:
        base = key.split("@", 1)[0]
        if base not in latest or latest[base][0] < valid_to:
            latest[base] = (valid_to, *hide)
    if not latest:
        return set()
    down = "downstream__urn" if model is LineageEdge else "downstream__asset__urn"
    urns: set[str] = set()
    fresh = model.objects.filter(
        origin=source, valid_to__isnull=True, hidden_at__isnull=True, first_seen__gte=run.started_at
    )
    keys = list(latest)
    for start in range(0, len(keys), CHUNK):
        for edge_id, key, urn in fresh.filter(key__in=keys[start : start + CHUNK]).values_list(
            "id", "key", down
        ):
            _, hidden_at, hidden_by, reason = latest[key]
            model.objects.filter(id=edge_id).update(
                hidden_at=hidden_at, hidden_by_id=hidden_by, hidden_reason=reason
            )
            urns.add(urn)
    return urns


# -- schema versions ------------------------------------------------------------------
def _fingerprint(columns: list[dict]) -> str:
    return hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()


def record_schema_versions(
    asset_ids, when: datetime | None = None, known: dict[int, list[dict]] | None = None
) -> int:
    """Add a schema version for each asset in ``asset_ids`` whose columns (name,
    data_type, native_type, nullable, in ordinal order) differ from its current
    version, ending that one at ``when`` (default now). Stub fields created only as
    lineage endpoints (ordinal 10,000, no type) are left out. ``known``: ``{asset id:
    columns}`` (dicts of :data:`COLUMN_KEYS`, in ordinal order) of assets whose live
    columns the caller just wrote in full (a harvester's new assets), not read again.
    Returns versions added; about three queries per 500 assets."""
    when = when or timezone.now()
    ids = sorted(set(asset_ids))
    known = known or {}
    added = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        columns: dict[int, list[dict]] = defaultdict(list)
        columns.update((a, known[a]) for a in chunk if a in known)
        unknown = [a for a in chunk if a not in known]
        rows = Field.objects.filter(asset_id__in=unknown).order_by("asset_id", "ordinal", "name")
        for asset_id, *values in rows.values_list("asset_id", *COLUMN_KEYS) if unknown else ():
            column = dict(zip(COLUMN_KEYS, values, strict=True))
            columns[asset_id].append(column)
        current = {
            v.asset_id: v
            for v in SchemaVersion.objects.filter(asset_id__in=chunk, valid_to__isnull=True)
        }
        new, ended = [], []
        for asset_id in chunk:
            cols = [c for c in columns.get(asset_id, []) if c["data_type"] or c["native_type"]]
            if not cols and asset_id not in current:
                continue  # never had a schema
            fingerprint = _fingerprint(cols)
            version = current.get(asset_id)
            if version is not None and version.fingerprint == fingerprint:
                continue
            if version is not None:
                ended.append(version.id)
            new.append(
                SchemaVersion(
                    asset_id=asset_id,
                    version=(version.version if version else 0) + 1,
                    columns=cols,
                    fingerprint=fingerprint,
                    valid_from=when,
                )
            )
        if ended:
            SchemaVersion.objects.filter(id__in=ended).update(valid_to=when)
        if new:
            SchemaVersion.objects.bulk_create(new)
            added += len(new)
    return added


def schema_versions(asset) -> list[dict]:
    """``[{version, valid_from, valid_to, columns: [{name, data_type, native_type,
    nullable}]}]`` of ``asset``, oldest first."""
    return [
        {
            "version": v.version,
            "valid_from": v.valid_from,
            "valid_to": v.valid_to,
            "columns": v.columns,
        }
        for v in SchemaVersion.objects.filter(asset=asset).order_by("version")
    ]


def schema_diff(old: list[dict], new: list[dict]) -> dict:
    """What changed from column list ``old`` to ``new``: ``{added: [column], removed:
    [column], changed: [{name, from: {data_type, native_type, nullable}, to: {...}}]}``
    (columns matched by name; changed = a different data_type, native_type or
    nullability), each list in ``new``'s (``removed``: ``old``'s) order."""
    before = {c["name"]: c for c in old}
    after = {c["name"]: c for c in new}
    attrs = COLUMN_KEYS[1:]
    changed = []
    for c in new:
        was = before.get(c["name"])
        if was is not None and any(was.get(a) != c.get(a) for a in attrs):
            changed.append(
                {
                    "name": c["name"],
                    "from": {a: was.get(a) for a in attrs},
                    "to": {a: c.get(a) for a in attrs},
                }
            )
    return {
        "added": [c for c in new if c["name"] not in before],
        "removed": [c for c in old if c["name"] not in after],
        "changed": changed,
    }
