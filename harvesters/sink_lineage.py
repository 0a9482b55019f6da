"""The lineage half of the harvest sink: stub assets for lineage endpoints, dataset
and column edges (idempotent by key), and their run changes.

:class:`LineageWriter` is a mixin of :class:`harvesters.sink.CatalogSink`; it uses the
sink's buffers and raw-write helpers (``_writer``, ``_db_now``, ``_outbox``).
"""

from collections import defaultdict

from catalog.models import (
    Asset,
    Field,
    OutboxEvent,
)
from catalog.urns import short_name
from harvesters.models import RunChange
from harvesters.records import (
    FieldLineageRecord,
    LineageRecord,
)
from harvesters.sink_rows import (
    BATCH,
    EDGE_COLUMNS,
    FIELD_EDGE_COLUMNS,
    STREAM_BATCH,
    _chunks,
    edge_key,
    parse_urn,
)
from lineage.models import FieldLineageEdge, LineageEdge


class LineageWriter:
    """Writes the sink's buffered lineage (see :class:`harvesters.sink.CatalogSink`)."""

    def _asset_ids(self, urns: set[str]) -> dict[str, int]:
        """Ids of ``urns``, creating stub assets for those the catalog has never seen."""
        ids: dict[str, int] = {}
        urn_list = sorted(urns)
        unknown = []
        for urn in urn_list:
            asset_id = self._urn_ids.get(urn)
            if asset_id is None:
                unknown.append(urn)
            else:
                ids[urn] = asset_id
        for chunk in _chunks(unknown):
            found = dict(Asset.objects.filter(urn__in=chunk).values_list("urn", "id"))
            ids.update(found)
            self._urn_ids.update(found)
        stubs = []
        for urn in unknown:
            if urn in ids:
                continue
            try:
                kind, namespace, name = parse_urn(urn)
            except ValueError as exc:
                self.report.error(urn, str(exc))
                continue
            stubs.append(
                Asset(
                    urn=urn,
                    kind=kind,
                    type="job" if kind == "job" else "table",
                    namespace=namespace,
                    qualified_name=name,
                    name=short_name(name),
                    platform=namespace.split("://", 1)[0] if "://" in namespace else namespace,
                    first_seen=self.now,
                    last_seen=self.now,
                )
            )
        if stubs:
            Asset.objects.bulk_create(stubs, batch_size=BATCH)
            created = {a.urn: a.id for a in stubs}
            ids.update(created)
            self._urn_ids.update(created)
            self._outbox(OutboxEvent.Topic.ASSET, [a.urn for a in stubs])
        return ids

    def _flush_lineage(self) -> None:
        records = list(self.lineage.values())
        self.lineage = {}
        if not records:
            return
        urns = {r.upstream_urn for r in records} | {r.downstream_urn for r in records}
        urns |= {r.job_urn for r in records if r.job_urn}
        ids = self._asset_ids(urns)
        now = self._db_now(LineageEdge, "last_seen")
        run_id = self.run.id if self.run else None
        rows = []
        for r in records:
            up, down = ids.get(r.upstream_urn), ids.get(r.downstream_urn)
            if up is None or down is None:
                continue
            job = ids.get(r.job_urn) if r.job_urn else None
            rows.append(
                (
                    edge_key(r.upstream_urn, r.downstream_urn, r.job_urn or "", self.source.id),
                    up,
                    down,
                    job,
                    self.source.id,
                    run_id,
                    now,
                    now,
                )
            )
        self._record_new_edges(records, rows)
        self._writer(LineageEdge, EDGE_COLUMNS).insert(
            rows, conflict=("key",), update=("last_seen", "run")
        )
        self._outbox(OutboxEvent.Topic.LINEAGE, [r.downstream_urn for r in records])
        self.report.counts["lineage_edges"] += len(rows)

    def _record_new_edges(self, records: list[LineageRecord], rows: list[tuple]) -> None:
        """``edge_added`` for each edge whose key is not stored yet (read before the upsert)."""
        if self.run is None:
            return
        keys = [row[0] for row in rows]
        known: set[str] = set()
        for chunk in _chunks(keys):
            known.update(LineageEdge.objects.filter(key__in=chunk).values_list("key", flat=True))
        by_key = {
            edge_key(r.upstream_urn, r.downstream_urn, r.job_urn or "", self.source.id): r
            for r in records
        }
        for row in rows:
            if row[0] in known:
                continue
            r = by_key[row[0]]
            self.changes.add(
                RunChange.Kind.EDGE_ADDED,
                r.downstream_urn,
                row[2],
                {"upstream": r.upstream_urn, "downstream": r.downstream_urn, "job": r.job_urn},
            )

    def _flush_ready_field_lineage(self) -> None:
        """Write the buffered field lineage whose endpoints (and job) are written."""
        written = self.seen_urns
        ready, pending = [], {}
        for key, r in self.field_lineage.items():
            if (
                r.upstream_urn in written
                and r.downstream_urn in written
                and (not r.job_urn or r.job_urn in written)
            ):
                ready.append(r)
            else:
                pending[key] = r
        self.field_lineage = pending
        self._stream_at = len(pending) + STREAM_BATCH
        self._write_field_lineage(ready)

    def _flush_field_lineage(self) -> None:
        records = list(self.field_lineage.values())
        self.field_lineage = {}
        self._write_field_lineage(records)

    def _write_field_lineage(self, records: list[FieldLineageRecord]) -> None:
        if not records:
            return
        urns = {r.upstream_urn for r in records} | {r.downstream_urn for r in records}
        urns |= {r.job_urn for r in records if r.job_urn}
        asset_ids = self._asset_ids(urns)
        wanted = {
            (asset_ids[r.upstream_urn], r.upstream_field)
            for r in records
            if r.upstream_urn in asset_ids
        }
        wanted |= {
            (asset_ids[r.downstream_urn], r.downstream_field)
            for r in records
            if r.downstream_urn in asset_ids
        }
        field_ids = self._field_ids(wanted)
        now = self._db_now(FieldLineageEdge, "last_seen")
        run_id = self.run.id if self.run else None
        source_id = self.source.id
        rows = []
        for r in records:
            up = field_ids.get((asset_ids.get(r.upstream_urn), r.upstream_field))
            down = field_ids.get((asset_ids.get(r.downstream_urn), r.downstream_field))
            if up is None or down is None:
                continue
            rows.append(
                (
                    edge_key(up, down, r.transformation, r.job_urn or "", source_id),
                    up,
                    down,
                    r.transformation,
                    r.subtype,
                    asset_ids.get(r.job_urn) if r.job_urn else None,
                    source_id,
                    run_id,
                    now,
                    now,
                )
            )
        self._writer(FieldLineageEdge, FIELD_EDGE_COLUMNS).insert(
            rows, conflict=("key",), update=("last_seen", "run", "subtype")
        )
        self.report.counts["field_lineage_edges"] += len(rows)

    def _field_ids(self, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """Ids of (asset id, field name) pairs, creating stub fields that are missing.

        Field ids of each asset are read once per run (cached until its fields are
        written again)."""
        by_asset: dict[int, set[str]] = defaultdict(set)
        for asset_id, name in wanted:
            by_asset[asset_id].add(name)
        cache = self._field_cache
        unread = [a for a in by_asset if a not in cache]
        for chunk in _chunks(unread):
            for asset_id in chunk:
                cache[asset_id] = {}
            # every row, soft-deleted too (one row per name; a lineage fact about a
            # dropped column points at that row and leaves it dropped)
            for fid, aid, name in Field.all_objects.filter(asset_id__in=chunk).values_list(
                "id", "asset_id", "name"
            ):
                cache[aid][name] = fid
        found: dict[tuple[int, str], int] = {}
        missing = []
        for asset_id, names in by_asset.items():
            known = cache[asset_id]
            for name in names:
                fid = known.get(name)
                if fid is None:
                    missing.append(Field(asset_id=asset_id, name=name, ordinal=10_000))
                else:
                    found[(asset_id, name)] = fid
        if missing:
            Field.objects.bulk_create(missing, batch_size=BATCH)
            for f in missing:
                found[(f.asset_id, f.name)] = cache[f.asset_id][f.name] = f.id
        return found
