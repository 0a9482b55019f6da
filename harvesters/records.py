"""The typed records a harvester yields, each keyed by URN.

Records are small and flat so that a source stays a plain generator; the
:class:`harvesters.sink.CatalogSink` turns them into idempotent upserts. Field
semantics follow :mod:`catalog.models`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class FieldRecord:
    """A column of a dataset. Empty strings/None mean "this source does not know"."""

    name: str
    data_type: str = ""
    native_type: str = ""
    nullable: bool | None = None
    description: str = ""
    ordinal: int = 0
    is_primary_key: bool = False
    fk_target_urn: str = ""
    fk_target_field: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class OwnerRecord:
    """An owner of an asset: ``kind`` user|team, ``type`` an Ownership.Type value."""

    name: str
    kind: str = "user"
    type: str = "technical_owner"
    email: str = ""


@dataclass(slots=True)
class DatasetRecord:
    """A dataset (table, view, file, topic) as one source sees it.

    ``fields=None`` leaves the asset's fields untouched; with
    ``fields_authoritative=True`` fields this source no longer reports are soft-deleted
    (``Field.removed_at``; their column edges ended, see ``lineage.history.remove_fields``).
    ``properties`` are merged key by key into the asset's properties.
    """

    urn: str
    namespace: str
    qualified_name: str
    name: str
    platform: str
    type: str = "table"
    description: str = ""
    fields: list[FieldRecord] | None = None
    fields_authoritative: bool = False
    tags: list[str] = field(default_factory=list)
    owners: list[OwnerRecord] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    row_count: int | None = None
    size_bytes: int | None = None
    kind: str = "dataset"


@dataclass(slots=True)
class JobRecord:
    """A job (a dbt model's build, an Airflow task, a view's query) that moves data."""

    urn: str
    namespace: str
    qualified_name: str
    name: str
    platform: str
    description: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    owners: list[OwnerRecord] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LineageRecord:
    """Dataset-level lineage: data flows ``upstream_urn`` → ``downstream_urn``."""

    upstream_urn: str
    downstream_urn: str
    job_urn: str | None = None


@dataclass(slots=True)
class FieldLineageRecord:
    """Field-level lineage (OpenLineage columnLineage semantics)."""

    upstream_urn: str
    upstream_field: str
    downstream_urn: str
    downstream_field: str
    transformation: str = "DIRECT"
    subtype: str = ""
    job_urn: str | None = None


@dataclass(slots=True)
class QualityRecord:
    """A data-quality check outcome; ``status`` pass|fail|warn|error|skipped."""

    asset_urn: str
    name: str
    status: str
    field_name: str = ""
    check_type: str = ""
    executed_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Checkpoint:
    """Not a catalog record: a promise that everything yielded before is complete, so a
    harvest may commit here and, after a crash, resume after ``key`` (a JSON-able value
    the harvester understands, e.g. ``["public", "orders"]``: the last table done). The
    runner hands it back as ``harvester.resume_after`` when it resumes the run."""

    key: Any


Record = DatasetRecord | JobRecord | LineageRecord | FieldLineageRecord | QualityRecord | Checkpoint
