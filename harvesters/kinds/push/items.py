"""The items of ``POST /api/v1/assets/bulk``: their JSON shape, validation and records.

A body is a JSON array of items, NDJSON (``Content-Type: application/x-ndjson``, one
item per line; blank lines are skipped), or a JSON object ``{"source": ..., "complete":
..., "items": [...]}``. An item is one of

* **upsert** (``op`` omitted or ``"upsert"``) of a dataset::

      {"urn": "urn:mc:dataset:postgres://db:5432/shop.public.orders",
       "type": "table", "name": "orders", "platform": "postgres", "description": "...",
       "properties": {...}, "row_count": 10, "size_bytes": 4096,
       "fields": [{"name": "id", "data_type": "integer", "native_type": "INT4",
                   "nullable": false, "description": "", "ordinal": 1,
                   "is_primary_key": true, "tags": ["pii"]}],
       "fields_complete": false,
       "owners": [{"name": "ana@example.com", "kind": "user", "type": "technical_owner"}],
       "tags": ["gold"],
       "upstreams": [{"urn": "urn:mc:dataset:postgres://db:5432/shop.public.raw_orders",
                      "job": "urn:mc:job:airflow://prod/load_orders",
                      "columns": [{"field": "id", "upstream_field": "order_id",
                                   "transformation": "DIRECT", "subtype": "IDENTITY"}]}]}

  Only ``urn`` is required; ``name`` defaults to the URN's last dotted part, ``platform``
  to the namespace's scheme. ``fields`` omitted leaves stored fields alone;
  ``fields_complete: true`` deletes the fields this source's asset no longer lists.
  ``upstreams`` are dataset lineage edges into this dataset (``job``: the job URN that
  moves the data, optional), each with optional column lineage (``field`` is this
  dataset's column; ``transformation`` and ``subtype`` as in OpenLineage's
  columnLineage facet: ``DIRECT``/``INDIRECT``, IDENTITY, TRANSFORMATION, AGGREGATION,
  FILTER, JOIN, GROUP_BY, SORT, WINDOW, CONDITIONAL).
* **delete** ``{"op": "delete", "urn": "..."}``: this source no longer has the dataset
  (a soft delete; the asset is marked removed when no other source still reports it).

URNs follow :mod:`catalog.urns` (``urn:mc:dataset:<namespace>/<name>``). Unknown keys,
wrong types, over-long strings (the catalog's column sizes) and NUL characters are
refused per item, with the JSON path of the problem, e.g. ``$[3].fields[0].name``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from catalog.urns import short_name
from harvesters.records import (
    DatasetRecord,
    FieldLineageRecord,
    FieldRecord,
    LineageRecord,
    OwnerRecord,
)
from harvesters.sink_rows import parse_urn

NDJSON = "application/x-ndjson"
TRANSFORMATIONS = ("DIRECT", "INDIRECT")
SUBTYPES = (
    "",
    "IDENTITY",
    "TRANSFORMATION",
    "AGGREGATION",
    "FILTER",
    "JOIN",
    "GROUP_BY",
    "SORT",
    "WINDOW",
    "CONDITIONAL",
)


def _name():
    return Field(min_length=1, max_length=255)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PushField(_Strict):
    """A column of a pushed dataset (see :class:`catalog.models.Field`)."""

    name: str = _name()
    data_type: str = Field("", max_length=32)
    native_type: str = Field("", max_length=255)
    nullable: bool | None = None
    description: str = ""
    ordinal: int = Field(0, ge=0, le=2_000_000_000)
    is_primary_key: bool = False
    tags: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_tags(value) if value else value


class PushOwner(_Strict):
    """An owner: ``name`` an email or team handle, ``kind`` user|team, ``type`` one of
    :class:`catalog.models.Ownership.Type`."""

    name: str = _name()
    kind: Literal["user", "team"] = "user"
    type: Literal["technical_owner", "business_owner", "data_steward", "none"] = "technical_owner"
    email: str = Field("", max_length=254)


class PushColumnEdge(_Strict):
    """Column lineage ``upstream_field`` (of the upstream) → ``field`` (of this dataset)."""

    field: str = _name()
    upstream_field: str = _name()
    transformation: Literal["DIRECT", "INDIRECT"] = "DIRECT"
    subtype: Literal[SUBTYPES] = ""  # type: ignore[valid-type]


class PushUpstream(_Strict):
    """A lineage edge ``urn`` → this dataset, through job ``job`` (a job URN, optional)."""

    urn: str = Field(min_length=1, max_length=768)
    job: str | None = Field(None, max_length=768)
    columns: list[PushColumnEdge] = Field(default_factory=list)

    @field_validator("urn")
    @classmethod
    def _dataset(cls, value: str) -> str:
        return check_urn(value, "dataset")

    @field_validator("job")
    @classmethod
    def _job(cls, value: str | None) -> str | None:
        return check_urn(value, "job") if value else None


class PushDataset(_Strict):
    """An upsert item (see the module docstring)."""

    op: Literal["upsert"] = "upsert"
    urn: str = Field(min_length=1, max_length=768)
    type: Literal["table", "view", "file", "topic"] = "table"
    name: str = Field("", max_length=255)
    platform: str = Field("", max_length=64)
    description: str = ""
    properties: dict[str, Any] = Field(default_factory=dict)
    row_count: int | None = Field(None, ge=0, le=2**63 - 1)
    size_bytes: int | None = Field(None, ge=0, le=2**63 - 1)
    fields: list[PushField] | None = None
    fields_complete: bool = False
    owners: list[PushOwner] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=100)
    upstreams: list[PushUpstream] = Field(default_factory=list)

    @field_validator("urn")
    @classmethod
    def _dataset(cls, value: str) -> str:
        return check_urn(value, "dataset")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_tags(value) if value else value


class PushDelete(_Strict):
    """A delete item: ``{"op": "delete", "urn": ...}``."""

    op: Literal["delete"]
    urn: str = Field(min_length=1, max_length=768)

    @field_validator("urn")
    @classmethod
    def _dataset(cls, value: str) -> str:
        return check_urn(value, "dataset")


def check_urn(value: str, kind: str) -> str:
    """``value`` if it is a URN of ``kind`` whose namespace and name fit the catalog's
    columns (255 and 512 characters); ValueError saying why not."""
    got, namespace, name = parse_urn(value)
    if got != kind:
        raise ValueError(f"expected a {kind} URN (urn:mc:{kind}:...), got a {got} URN")
    if len(namespace) > 255 or len(name) > 512:
        raise ValueError("the URN's namespace (255) or name (512 characters) is too long")
    return value


def check_tags(tags: list[str]) -> list[str]:
    """Tags are 1 to 128 characters (ValueError otherwise); duplicates dropped, in order."""
    for tag in tags:
        if not isinstance(tag, str) or not 1 <= len(tag) <= 128:
            raise ValueError("a tag is a string of 1 to 128 characters")
    return list(dict.fromkeys(tags))


@dataclass(slots=True)
class Parsed:
    """One item after validation: ``op`` upsert|delete, its URN and (upserts) the model."""

    index: int
    op: str
    urn: str
    item: PushDataset | None = None


def error(path: str, message: str) -> dict:
    """One problem: ``{"path": "$[3].fields[0].name", "message": "..."}``."""
    return {"path": path, "message": message}


def parse_body(body: bytes, content_type: str) -> tuple[list[Any], dict, list[dict]]:
    """Decode a request body into ``(items, envelope, errors)``.

    ``items`` are the decoded items (an NDJSON line that is not JSON becomes a
    :class:`BadLine` holding its error, so the other lines still count); ``envelope`` the
    ``source``/``complete``/``owner_team`` of a JSON object body (else empty); ``errors``
    is non-empty (and fatal, a 400) when the body as a whole is unusable.
    """
    if content_type.split(";")[0].strip().lower() == NDJSON:
        items: list[Any] = []
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except (UnicodeDecodeError, ValueError) as exc:
                items.append(BadLine(f"line {number} is not valid JSON: {exc}"))
        return items, {}, []
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        return [], {}, [error("$", f"body is not valid JSON: {exc}")]
    if isinstance(value, list):
        return value, {}, []
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        envelope = {k: v for k, v in value.items() if k != "items"}
        unknown = sorted(set(envelope) - {"source", "complete", "owner_team"})
        if unknown:
            return (
                [],
                {},
                [
                    error(
                        f"$.{unknown[0]}",
                        "unknown key (expected source, complete, owner_team, items)",
                    )
                ],
            )
        return value["items"], envelope, []
    return (
        [],
        {},
        [
            error(
                "$", f"expected a JSON array of items, an object with 'items', or NDJSON ({NDJSON})"
            )
        ],
    )


@dataclass(slots=True)
class BadLine:
    """An NDJSON line that could not be decoded."""

    message: str


def validate_item(index: int, raw: Any, nul: bool = True) -> tuple[Parsed | None, list[dict]]:
    """Validate one decoded item; returns ``(parsed, [])`` or ``(None, errors)``.

    ``nul=False`` skips the search for NUL characters, for items decoded from a body
    without ``\\u0000`` (JSON cannot carry a NUL any other way)."""
    at = f"$[{index}]"
    if isinstance(raw, BadLine):
        return None, [error(at, raw.message)]
    if not isinstance(raw, dict):
        return None, [error(at, f"an item must be a JSON object, not {type(raw).__name__}")]
    if nul and _has_nul(raw):
        return None, [error(at, "NUL characters (\\u0000) are not allowed")]
    op = raw.get("op", "upsert")
    model = PushDelete if op == "delete" else PushDataset
    try:
        item = model.model_validate(raw)
    except ValidationError as exc:
        return None, [_describe(at, e) for e in exc.errors()]
    if isinstance(item, PushDelete):
        return Parsed(index, "delete", item.urn), []
    return Parsed(index, "upsert", item.urn, item), []


def _describe(at: str, err: dict) -> dict:
    path = at
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "is required"
    return error(path, message.removeprefix("Value error, "))


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def to_records(item: PushDataset) -> list:
    """The harvest records of an upsert: the dataset, then its lineage (dataset and column
    level), in the shapes :class:`harvesters.sink.CatalogSink` takes."""
    _, namespace, qualified = parse_urn(item.urn)
    platform = item.platform or (namespace.split("://", 1)[0] if "://" in namespace else namespace)
    fields = None
    if item.fields is not None:
        fields = [
            FieldRecord(
                name=f.name, data_type=f.data_type, native_type=f.native_type,
                nullable=f.nullable, description=f.description, ordinal=f.ordinal,
                is_primary_key=f.is_primary_key, tags=f.tags,
            )
            for f in item.fields
        ]  # fmt: skip
    records: list = [
        DatasetRecord(
            urn=item.urn, namespace=namespace, qualified_name=qualified,
            name=item.name or short_name(qualified)[:255], platform=platform[:64],
            type=item.type, description=item.description, fields=fields,
            fields_authoritative=item.fields_complete and fields is not None,
            tags=item.tags,
            owners=[OwnerRecord(o.name, o.kind, o.type, o.email) for o in item.owners],
            properties=item.properties, row_count=item.row_count, size_bytes=item.size_bytes,
        )
    ]  # fmt: skip
    for up in item.upstreams:
        records.append(LineageRecord(up.urn, item.urn, up.job))
        records.extend(
            FieldLineageRecord(
                up.urn, c.upstream_field, item.urn, c.field, c.transformation, c.subtype, up.job
            )
            for c in up.columns
        )
    return records
