"""Turns harvester records into idempotent, batched upserts in the catalog.

Merging rule (one asset per URN, many sources): a non-empty value from a source
overwrites, an empty one never erases what another source said. Lineage endpoints that
no source has described yet become stub assets (and stub fields), to be filled in when
their own source is harvested. Every touched asset gets an outbox event.
"""

import json
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from catalog.models import (
    Asset,
    AssetSource,
    Field,
    HarvestRun,
    OutboxEvent,
    Owner,
    Ownership,
    QualityResult,
    Source,
    Tag,
)
from harvesters.bulk import TableWriter, db_datetime, db_json
from harvesters.changes import ChangeRecorder, schema_diff
from harvesters.models import RunChange
from harvesters.records import (
    DatasetRecord,
    FieldLineageRecord,
    JobRecord,
    LineageRecord,
    QualityRecord,
)
from harvesters.report import HarvestReport
from harvesters.signals import quality_results_stored
from harvesters.sink_lineage import LineageWriter
from harvesters.sink_rows import (
    ASSET_INSERT_COLUMNS,
    ASSET_MERGE_ATTRS,
    ASSET_SOURCE_COLUMNS,
    ASSET_UPDATE_COLUMNS,
    ASSET_UPDATE_SQL,
    BATCH,
    FIELD_INSERT_COLUMNS,
    FIELD_MERGE_ATTRS,
    FIELD_UPDATE_SQL,
    QUALITY_COLUMNS,
    STREAM_BATCH,
    _asset_values,
    _chunks,
    _merge_records,
)
from lineage.history import record_schema_versions, remove_fields

log = logging.getLogger(__name__)


class CatalogSink(LineageWriter):
    """Receives records during a run and writes them in batches.

    Call :meth:`add` per record and :meth:`flush` at the end; all writes happen in the
    caller's transaction. ``report.counts`` gets ``datasets``, ``jobs``, ``fields``,
    ``lineage_edges``, ``field_lineage_edges``, ``quality_results``.

    ``stream_field_lineage=True`` is a promise by the harvester that every dataset record
    comes before the lineage naming it and is not repeated afterwards, and that the field
    lineage of one job is yielded contiguously (between two other records). The sink then
    writes buffered field lineage whose endpoints are already written in batches as it
    goes (bounded memory) instead of all at the end; the result is the same.
    """

    def __init__(
        self,
        source: Source,
        run: HarvestRun | None,
        report: HarvestReport,
        stream_field_lineage: bool = False,
    ) -> None:
        self.source = source
        self.run = run
        self.report = report
        self.now = timezone.now()
        self.assets: dict[str, DatasetRecord | JobRecord] = {}
        self.lineage: dict[tuple, LineageRecord] = {}
        self.field_lineage: dict[tuple, FieldLineageRecord] = {}
        self.quality: list[QualityRecord] = []
        self.seen_urns: set[str] = set()
        self.stream_field_lineage = stream_field_lineage
        self._urn_ids: dict[str, int] = {}  # asset ids known in this run
        self._field_cache: dict[int, dict[str, int]] = {}  # asset id -> {field name: id}
        self._writers: dict[tuple, TableWriter] = {}
        self._stream_at = STREAM_BATCH  # buffer size that triggers the next early write
        #: the run's diff (harvesters.changes); per asset batch: urns new to this source
        #: and pending ``asset_changed`` details
        self.changes = ChangeRecorder(run)
        self._batch_added: set[str] = set()
        self._batch_changed: dict[str, dict] = {}

    # -- intake ---------------------------------------------------------------------
    def add(self, record: object) -> None:
        """Buffer one record; flushes asset batches as they fill."""
        if (
            self.stream_field_lineage
            and len(self.field_lineage) >= self._stream_at
            and not isinstance(record, FieldLineageRecord)
        ):
            self._flush_ready_field_lineage()
        if isinstance(record, DatasetRecord | JobRecord):
            previous = self.assets.get(record.urn)
            self.assets[record.urn] = _merge_records(previous, record) if previous else record
            if len(self.assets) >= BATCH:
                self._flush_assets()
        elif isinstance(record, LineageRecord):
            self.lineage[(record.upstream_urn, record.downstream_urn, record.job_urn)] = record
        elif isinstance(record, FieldLineageRecord):
            key = (
                record.upstream_urn,
                record.upstream_field,
                record.downstream_urn,
                record.downstream_field,
                record.job_urn,
                record.transformation,
            )
            self.field_lineage[key] = record
        elif isinstance(record, QualityRecord):
            self.quality.append(record)
        else:
            raise TypeError(f"not a harvest record: {type(record).__name__}")

    def flush(self) -> None:
        """Write everything still buffered (assets, then edges, then quality results,
        then the run's changes)."""
        self._flush_assets()
        self._flush_lineage()
        self._flush_field_lineage()
        self._flush_quality()
        self.changes.flush()

    def flush_assets(self) -> None:
        """Write the buffered assets (and their changes) now, e.g. before a batch commit."""
        self._flush_assets()
        self.changes.flush()

    # -- assets ---------------------------------------------------------------------
    def _flush_assets(self) -> None:
        records = list(self.assets.values())
        self.assets = {}
        if not records:
            return
        ids = self._upsert_assets(records)
        self._upsert_fields(records, ids)
        self._upsert_tags_and_owners(records, ids)
        self._record_asset_changes(records, ids)
        now = self._db_now(AssetSource, "last_seen")
        run_id = self.run.id if self.run else None
        self._writer(AssetSource, ASSET_SOURCE_COLUMNS).insert(
            [(ids[r.urn], self.source.id, run_id, now, now, False) for r in records],
            conflict=("asset", "source"),
            update=("last_run", "last_seen", "removed"),
        )
        self._outbox(OutboxEvent.Topic.ASSET, [r.urn for r in records])
        self.seen_urns.update(r.urn for r in records)
        for r in records:
            self.report.counts["datasets" if isinstance(r, DatasetRecord) else "jobs"] += 1

    def _upsert_assets(self, records: list) -> dict[str, int]:
        """Insert new assets, merge into existing ones; returns ``{urn: asset id}``.

        An existing asset whose merged values equal the stored ones only gets its
        ``last_seen`` moved (one statement per batch), so re-harvesting or re-pushing an
        unchanged source rewrites no rows."""
        existing, descriptions = {}, {}
        # row: urn, id, properties, removed, *ASSET_MERGE_ATTRS
        described = 4 + ASSET_MERGE_ATTRS.index("description")
        for row in Asset.objects.filter(urn__in=[r.urn for r in records]).values_list(
            "urn", "id", "properties", "removed", *ASSET_MERGE_ATTRS
        ):
            existing[row[0]] = row[1:]
            descriptions[row[0]] = row[described]
        # the diff: an asset is "added" when this source did not report it (or had
        # removed it); the provenance links are one more read of the same batch
        linked = (
            set(
                AssetSource.objects.filter(
                    source=self.source,
                    removed=False,
                    asset_id__in=[current[0] for current in existing.values()],
                ).values_list("asset_id", flat=True)
            )
            if existing
            else set()
        )
        self._batch_added = set()
        self._batch_changed = {}
        now = self._db_now(Asset, "last_seen")
        new_rows, updates, touched = [], [], []
        for r in records:
            values = _asset_values(r)
            current = existing.get(r.urn)
            if current is None or current[0] not in linked:
                self._batch_added.add(r.urn)
            elif r.description and r.description != descriptions[r.urn]:
                self._batch_changed[r.urn] = {"description": [descriptions[r.urn], r.description]}
            if current is None:
                new_rows.append(
                    (r.urn, *values.values(), db_json(dict(r.properties)), now, now, False, None)
                )
                continue
            asset_id, properties, removed, *stored = current
            params = [None if v in ("", None) else v for v in values.values()]
            merged = {**properties, **r.properties} if r.properties else None
            if (
                not removed
                and (merged is None or merged == properties)
                and all(p is None or p == old for p, old in zip(params, stored, strict=True))
            ):
                touched.append(asset_id)
                continue
            updates.append((*params, db_json(merged), now, False, asset_id))
        if new_rows:
            self._writer(Asset, ASSET_INSERT_COLUMNS).insert(new_rows)
        self._writer(Asset, ASSET_UPDATE_COLUMNS).update(ASSET_UPDATE_SQL, updates)
        for chunk in _chunks(touched):
            Asset.objects.filter(id__in=chunk).update(last_seen=self.now)
        ids = {urn: current[0] for urn, current in existing.items()}
        fresh = [row[0] for row in new_rows]
        for chunk in _chunks(fresh):
            ids.update(Asset.objects.filter(urn__in=chunk).values_list("urn", "id"))
        self._urn_ids.update(ids)
        return ids

    def _upsert_fields(self, records: list, ids: dict[str, int]) -> None:
        """Insert new fields, merge into existing ones (only rows whose merged values
        differ from the stored ones are written), delete unreported ones of records with
        ``fields_authoritative``."""
        with_fields = [r for r in records if isinstance(r, DatasetRecord) and r.fields is not None]
        if not with_fields:
            return
        asset_ids = [ids[r.urn] for r in with_fields]
        existing: dict[int, dict[str, int]] = defaultdict(dict)  # live columns
        dropped: dict[int, dict[str, int]] = defaultdict(dict)  # soft-deleted columns
        stored: dict[int, tuple] = {}
        types: dict[int, dict[str, str]] = defaultdict(dict)  # stored types, for the diff
        # tags read as JSON text, decoded only when a record brings tags to compare
        for chunk in _chunks(asset_ids):
            for field_id, asset_id, name, removed_at, *values in (
                Field.all_objects.filter(asset_id__in=chunk)
                .annotate(tags_text=Cast("tags", TextField()))
                .values_list(
                    "id", "asset_id", "name", "removed_at", *FIELD_MERGE_ATTRS[:-1], "tags_text"
                )
            ):
                stored[field_id] = tuple(values)
                if removed_at is not None:
                    dropped[asset_id][name] = field_id
                    continue
                existing[asset_id][name] = field_id
                types[asset_id][name] = values[1] or values[0]  # native type, else family
        new_rows, updates, to_delete, revived = [], [], [], []
        changed: set[int] = set()  # assets whose columns were written: a new schema version?
        known: dict[int, list] = {}  # columns of assets that had none: no need to read them
        empty_tags = db_json([])
        for r in with_fields:
            asset_id = ids[r.urn]
            current = existing.get(asset_id, {})
            reported = set()
            gone = dropped.get(asset_id, {})
            new_before = len(new_rows)
            fresh = [] if not current and not gone else None
            for position, fr in enumerate(r.fields, start=1):
                reported.add(fr.name)
                field_id = current.get(fr.name)
                if field_id is None and fr.name in gone:
                    field_id = gone[fr.name]  # a dropped column came back: live again
                    revived.append(field_id)
                    changed.add(asset_id)
                if field_id is None:
                    changed.add(asset_id)
                    if fresh is not None:
                        fresh.append((fr.ordinal or position, fr))
                    new_rows.append(
                        (
                            asset_id,
                            fr.name,
                            fr.data_type,
                            fr.native_type,
                            fr.nullable,
                            fr.description,
                            fr.ordinal or position,
                            fr.is_primary_key,
                            fr.fk_target_urn,
                            fr.fk_target_field,
                            db_json(list(fr.tags)) if fr.tags else empty_tags,
                        )
                    )
                    continue
                # Merge: a non-empty value overwrites, an empty one keeps what is stored
                # (NULL parameter -> COALESCE keeps the column); a primary key is only set.
                params = (
                    fr.data_type or None,
                    fr.native_type or None,
                    fr.nullable,
                    fr.description or None,
                    fr.ordinal or position,
                    fr.is_primary_key or None,
                    fr.fk_target_urn or None,
                    fr.fk_target_field or None,
                    list(fr.tags) if fr.tags else None,
                )
                current_values = stored[field_id]
                if all(
                    p is None or p == old
                    for p, old in zip(params[:-1], current_values[:-1], strict=True)
                ) and (params[-1] is None or params[-1] == json.loads(current_values[-1] or "[]")):
                    continue  # nothing would change
                changed.add(asset_id)
                updates.append((*params[:-1], db_json(params[-1]), field_id))
            removed = []
            if r.fields_authoritative:
                removed = [name for name in current if name not in reported]
                to_delete.extend(current[name] for name in removed)
                if removed:
                    changed.add(asset_id)
            if r.urn not in self._batch_added and (current or removed):
                diff = schema_diff(
                    types.get(asset_id, {}),
                    {fr.name: fr.native_type or fr.data_type for fr in r.fields},
                    removed,
                )
                if diff is not None:
                    self.changes.add(RunChange.Kind.SCHEMA_CHANGED, r.urn, asset_id, diff)
            if fresh:
                known[asset_id] = [
                    {
                        "name": fr.name,
                        "data_type": fr.data_type,
                        "native_type": fr.native_type,
                        "nullable": fr.nullable,
                    }
                    for _, fr in sorted(fresh, key=lambda p: (p[0], p[1].name))
                ]
            self.report.counts["fields"] += len(r.fields)
            if len(new_rows) == new_before:  # every row of the asset is known: keep its ids
                self._field_cache[asset_id] = {**gone, **current}
            else:
                self._field_cache.pop(asset_id, None)
        self._writer(Field, FIELD_INSERT_COLUMNS).insert(new_rows)
        self._writer(Field, FIELD_MERGE_ATTRS).update(FIELD_UPDATE_SQL, updates)
        for chunk in _chunks(revived):
            Field.all_objects.filter(id__in=chunk).update(removed_at=None)
        if to_delete:
            self._outbox(OutboxEvent.Topic.LINEAGE, sorted(remove_fields(to_delete, self.now)))
        # an asset none of whose columns was written keeps its schema version: an
        # unchanged re-harvest reads no columns again
        record_schema_versions(sorted(changed), self.now, known)

    def _upsert_tags_and_owners(self, records: list, ids: dict[str, int]) -> None:
        tag_names = {t for r in records for t in r.tags}
        if tag_names:
            Tag.objects.bulk_create([Tag(name=t) for t in tag_names], ignore_conflicts=True)
            tags = dict(Tag.objects.filter(name__in=tag_names).values_list("name", "id"))
            through = Asset.tags.through
            self._diff_links(
                records,
                ids,
                "tags_added",
                lambda r: r.tags,
                through.objects.filter(
                    asset_id__in=[ids[r.urn] for r in records if r.tags]
                ).values_list("asset_id", "tag__name"),
            )
            self._writer(through, ("asset", "tag")).insert(
                [(ids[r.urn], tags[t]) for r in records for t in r.tags],
                conflict=("asset", "tag"),
            )
        owner_recs = {o.name: o for r in records for o in r.owners}
        if owner_recs:
            self._diff_links(
                records,
                ids,
                "owners_added",
                lambda r: [o.name for o in r.owners],
                Ownership.all_objects.filter(  # a hidden owner is not new again
                    asset_id__in=[ids[r.urn] for r in records if r.owners]
                ).values_list("asset_id", "owner__name"),
            )
            Owner.objects.bulk_create(
                [Owner(name=o.name, kind=o.kind, email=o.email) for o in owner_recs.values()],
                ignore_conflicts=True,
            )
            owners = dict(Owner.objects.filter(name__in=owner_recs).values_list("name", "id"))
            # a new link is shown (hidden: False); ON CONFLICT keeps a curator's hiding
            self._writer(Ownership, ("asset", "owner", "type", "origin", "hidden")).insert(
                [
                    (ids[r.urn], owners[o.name], o.type, self.source.name, False)
                    for r in records
                    for o in r.owners
                ],
                conflict=("asset", "owner", "type"),
            )

    def _diff_links(self, records, ids, key: str, names_of, stored_pairs) -> None:
        """Note the tags/owners (``names_of(record)``) an already reported asset gains."""
        stored: dict[int, set[str]] = defaultdict(set)
        for asset_id, name in stored_pairs:
            stored[asset_id].add(name)
        for r in records:
            if r.urn in self._batch_added:
                continue
            new = sorted(set(names_of(r)) - stored.get(ids[r.urn], set()))
            if new:
                self._batch_changed.setdefault(r.urn, {})[key] = new

    def _record_asset_changes(self, records: list, ids: dict[str, int]) -> None:
        for r in records:
            if r.urn in self._batch_added:
                kind = "job" if isinstance(r, JobRecord) else r.type
                self.changes.add(RunChange.Kind.ASSET_ADDED, r.urn, ids[r.urn], {"type": kind})
            elif r.urn in self._batch_changed:
                self.changes.add(
                    RunChange.Kind.ASSET_CHANGED, r.urn, ids[r.urn], self._batch_changed[r.urn]
                )
        self._batch_added, self._batch_changed = set(), {}

    # -- raw writes -----------------------------------------------------------------
    def _writer(self, model, columns: tuple[str, ...]) -> TableWriter:
        key = (model, columns)
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = TableWriter(model, columns)
        return writer

    def _db_now(self, model, field: str):
        return db_datetime(model, field, self.now)

    def _outbox(self, topic: str, keys: list[str], op: str = "upsert") -> None:
        created = db_datetime(OutboxEvent, "created_at", timezone.now())
        self._writer(OutboxEvent, ("topic", "key", "op", "created_at")).insert(
            [(topic, key, op, created) for key in keys]
        )

    # -- quality --------------------------------------------------------------------
    def _flush_quality(self) -> None:
        records, self.quality = self.quality, []
        if not records:
            return
        ids = self._asset_ids({r.asset_urn for r in records})
        seen = set(
            QualityResult.objects.filter(
                origin=self.source.name, asset_id__in=set(ids.values())
            ).values_list("asset_id", "name", "executed_at")
        )
        recorded = db_datetime(QualityResult, "recorded_at", timezone.now())
        rows, stored = [], []
        for r in records:
            asset_id = ids.get(r.asset_urn)
            if asset_id is None or (asset_id, r.name, r.executed_at) in seen:
                continue
            seen.add((asset_id, r.name, r.executed_at))
            stored.append(
                {
                    "asset_urn": r.asset_urn,
                    "name": r.name,
                    "status": r.status,
                    "when": r.executed_at or timezone.now(),
                }
            )
            rows.append(
                (
                    asset_id,
                    r.field_name,
                    r.name,
                    r.check_type,
                    r.status,
                    db_datetime(QualityResult, "executed_at", r.executed_at),
                    self.source.name,
                    db_json(r.details),
                    recorded,
                )
            )
        self._writer(QualityResult, QUALITY_COLUMNS).insert(rows)
        self.report.counts["quality_results"] += len(records)
        if stored:
            transaction.on_commit(lambda: _announce_quality(stored))


def _announce_quality(results: list[dict]) -> None:
    """Send :data:`harvesters.signals.quality_results_stored` for newly stored results
    (robustly: a receiver's error is logged, never raised into the harvest)."""
    for receiver, result in quality_results_stored.send_robust(Asset, results=results):
        if isinstance(result, Exception):
            log.error("quality_results_stored receiver %r failed: %r", receiver, result)
