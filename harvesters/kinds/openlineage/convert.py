"""Turn one valid OpenLineage event into harvest records and a run update.

Spec: https://openlineage.io/spec/2-0-2/OpenLineage.json and the facets under
https://openlineage.io/spec/facets/. Facets used (all facets are also kept verbatim in
``properties["openlineage"]["facets"]`` of the job or dataset, and run facets on the run):

* ``schema`` → fields (nested ``fields`` flattened as ``parent.child``);
* ``documentation`` → descriptions; ``ownership`` → owners; ``tags`` → tags;
  ``datasetType`` → asset type; ``dataSource`` → platform when the namespace has none;
* ``columnLineage`` → field lineage: ``inputFields[].transformations[].type/subtype``
  (1-2-0+, DIRECT and INDIRECT kept apart) or the older ``transformationType``
  (IDENTITY/MASKED → DIRECT); its ``dataset`` list (dependencies of every field) too;
* ``sql`` → ``properties["sql"]``, parsed with sqlglot
  (:mod:`harvesters.kinds.openlineage.sqlfacet`): table lineage from what each statement reads
  to what it writes, through the job, with datasets for tables the event does not list
  (the event's dataset namespace, else the job's), and DIRECT column lineage into each
  written table whose event dataset has no ``columnLineage``;
* ``dataQualityAssertions`` → one pass/fail quality result per assertion and column;
  ``dataQualityMetrics`` (input facet) → a ``metrics`` quality result (status
  ``skipped``: nothing was asserted) with the measurements in ``details``, row count and
  bytes on the dataset; ``outputStatistics`` → row count and bytes;
* run facets ``nominalTime``, ``parent``, ``errorMessage`` → the :class:`JobRun` columns.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog.urns import dataset_urn, job_urn, short_name
from harvesters.kinds.openlineage.sqlfacet import sql_facet_lineage
from harvesters.records import (
    DatasetRecord,
    FieldLineageRecord,
    FieldRecord,
    JobRecord,
    LineageRecord,
    OwnerRecord,
    QualityRecord,
)

TERMINAL = ("COMPLETE", "FAIL", "ABORT")
STATE_RANK = {"OTHER": 0, "START": 1, "RUNNING": 2, "COMPLETE": 3, "FAIL": 3, "ABORT": 3}
_TYPE_FAMILIES = [
    (re.compile(r"bool"), "boolean"),
    (re.compile(r"timestamp|datetime"), "timestamp"),
    (re.compile(r"^date$|^date\b"), "date"),
    (re.compile(r"^time\b"), "other"),
    (re.compile(r"decimal|numeric|number|money"), "decimal"),
    (re.compile(r"float|double|real"), "float"),
    (re.compile(r"int|serial"), "integer"),
    (re.compile(r"char|text|string|uuid|json|enum|clob"), "string"),
    (re.compile(r"binary|blob|bytea|bytes"), "binary"),
    (re.compile(r"struct|record|row"), "struct"),
    (re.compile(r"array|list|\[\]"), "array"),
    (re.compile(r"map"), "map"),
]


@dataclass
class RunUpdate:
    """What one RunEvent says about its run (see :class:`lineage.models.JobRun`)."""

    run_id: uuid.UUID
    job_urn: str
    event_type: str
    event_time: datetime
    facets: dict
    nominal_start_time: datetime | None = None
    nominal_end_time: datetime | None = None
    parent_run_id: uuid.UUID | None = None
    parent_job_urn: str = ""
    error_message: str = ""


@dataclass
class Converted:
    """Records and run update of one event, plus warnings naming what was skipped."""

    kind: str
    event_time: datetime
    records: list = field(default_factory=list)
    run: RunUpdate | None = None
    warnings: list[str] = field(default_factory=list)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 string as an aware datetime; None if absent or unreadable.
    A time without an offset is UTC, as Marquez reads it."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def data_type_family(native: str) -> str:
    """Normalise a native type name (``VARCHAR``, ``INT64``...) to a catalog family."""
    low = (native or "").strip().lower()
    if not low:
        return ""
    for pattern, family in _TYPE_FAMILIES:
        if pattern.search(low):
            return family
    return "other"


def _facets(container: Any) -> dict:
    """The non-null facets of a ``facets`` object."""
    if not isinstance(container, dict):
        return {}
    return {k: v for k, v in container.items() if isinstance(v, dict)}


def _platform(namespace: str, facets: dict) -> str:
    """Platform from the namespace scheme or the dataSource URI; "" when unknown."""
    if "://" in namespace:
        return namespace.split("://", 1)[0]
    uri = (facets.get("dataSource") or {}).get("uri")
    if isinstance(uri, str) and "://" in uri:
        return uri.split("://", 1)[0].split("+", 1)[0].replace("postgresql", "postgres")
    return ""


def _owners(facets: dict) -> list[OwnerRecord]:
    owners = []
    for item in (facets.get("ownership") or {}).get("owners") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name, kind = item["name"], "user"
        prefix, sep, rest = name.partition(":")
        if sep and prefix in ("user", "team", "group"):
            name, kind = rest, "user" if prefix == "user" else "team"
        otype = str(item.get("type") or "").lower()
        mapped = (
            "business_owner"
            if "business" in otype
            else "data_steward"
            if "steward" in otype
            else "technical_owner"
        )
        owners.append(
            OwnerRecord(name=name, kind=kind, type=mapped, email=name if "@" in name else "")
        )
    return owners


def _tags(facets: dict) -> list[str]:
    tags = []
    for item in (facets.get("tags") or {}).get("tags") or []:
        if isinstance(item, dict) and item.get("key") and not item.get("field"):
            value = item.get("value")
            tags.append(
                str(item["key"]) if value in (None, "", "true", True) else f"{item['key']}:{value}"
            )
    return tags


def _schema_fields(facets: dict) -> list[FieldRecord] | None:
    schema = facets.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return None
    out: list[FieldRecord] = []

    def walk(items: list, prefix: str) -> None:
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            native = str(item.get("type") or "")
            out.append(
                FieldRecord(
                    name=prefix + item["name"],
                    data_type=data_type_family(native),
                    native_type=native,
                    description=str(item.get("description") or ""),
                    ordinal=len(out) + 1,
                )
            )
            if isinstance(item.get("fields"), list):
                walk(item["fields"], f"{prefix}{item['name']}.")

    walk(schema["fields"], "")
    return out


def _description(facets: dict) -> str:
    return str((facets.get("documentation") or {}).get("description") or "")


def dataset_record(ds: dict, extra_facets: dict | None = None) -> DatasetRecord:
    """A :class:`DatasetRecord` for an OpenLineage dataset object (namespace, name, facets).

    ``type`` and ``platform`` are "" when the event does not say; the intake fills them
    from the stored asset or with defaults (``table``, the namespace) before writing.
    """
    facets = _facets(ds.get("facets"))
    namespace, name = ds["namespace"], ds["name"]
    stats = {**(extra_facets or {})}
    rows = size = None
    for key in ("outputStatistics", "dataQualityMetrics"):
        facet = stats.get(key) or {}
        rows = facet.get("rowCount") if isinstance(facet.get("rowCount"), int) else rows
        size = facet.get("size") if isinstance(facet.get("size"), int) else size
        size = facet.get("bytes") if isinstance(facet.get("bytes"), int) else size
    dtype = str((facets.get("datasetType") or {}).get("datasetType") or "").lower()
    return DatasetRecord(
        urn=dataset_urn(namespace, name),
        namespace=namespace,
        qualified_name=name,
        name=short_name(name),
        platform=_platform(namespace, facets),
        type=dtype if dtype in ("table", "view", "file", "topic") else "",
        description=_description(facets),
        fields=_schema_fields(facets),
        tags=_tags(facets),
        owners=_owners(facets),
        row_count=rows,
        size_bytes=size,
        properties={"openlineage": {"facets": facets}} if facets else {},
    )


def _transformations(input_field: dict) -> list[tuple[str, str]]:
    """(type, subtype) pairs of one columnLineage input field, old and new spec."""
    pairs = []
    for t in input_field.get("transformations") or []:
        if isinstance(t, dict):
            pairs.append((str(t.get("type") or "DIRECT").upper(), str(t.get("subtype") or "")))
    return pairs or [("DIRECT", "")]


def _column_lineage(ds: dict, out_urn: str, job: str | None, conv: Converted) -> list:
    """Field lineage records of one output's ``columnLineage`` facet."""
    facet = _facets(ds.get("facets")).get("columnLineage") or {}
    fields = facet.get("fields") if isinstance(facet.get("fields"), dict) else {}
    records = []
    for out_field, spec in fields.items():
        if not isinstance(spec, dict):
            continue
        legacy = str(spec.get("transformationType") or "")
        for inp in spec.get("inputFields") or []:
            if not _is_input_field(inp):
                continue
            pairs = _transformations(inp)
            if legacy and not inp.get("transformations"):
                pairs = [("DIRECT", legacy.upper())]
            records += _field_edges(inp, out_urn, out_field, pairs, job)
    for inp in facet.get("dataset") or []:  # dependencies of the whole dataset (1-1-0+)
        if not _is_input_field(inp):
            continue
        for out_field in fields:
            records += _field_edges(inp, out_urn, out_field, _transformations(inp), job)
    return records


def _is_input_field(inp: Any) -> bool:
    return isinstance(inp, dict) and all(
        isinstance(inp.get(k), str) and inp.get(k) for k in ("namespace", "name", "field")
    )


def _quality(ds: dict, urn: str, when: datetime, input_facets: dict) -> list[QualityRecord]:
    records = []
    facets = _facets(ds.get("facets"))
    assertions = (facets.get("dataQualityAssertions") or {}).get("assertions") or []
    for item in assertions:
        if not isinstance(item, dict) or not item.get("assertion"):
            continue
        column = str(item.get("column") or "")
        name = f"{item['assertion']}({column})" if column else str(item["assertion"])
        records.append(
            QualityRecord(
                asset_urn=urn,
                name=name,
                status="pass" if item.get("success") else "fail",
                field_name=column,
                check_type=str(item["assertion"]),
                executed_at=when,
                details={k: v for k, v in item.items() if k not in ("assertion", "column")},
            )
        )
    metrics = input_facets.get("dataQualityMetrics")
    if isinstance(metrics, dict):
        records.append(
            QualityRecord(
                asset_urn=urn,
                name="dataQualityMetrics",
                status="skipped",
                check_type="metrics",
                executed_at=when,
                details={k: v for k, v in metrics.items() if not k.startswith("_")},
            )
        )
    return records


def convert(event: dict, kind: str) -> Converted:
    """Records for one *valid* event of ``kind`` (run, dataset, job).

    Raises KeyError/TypeError/ValueError only for events that did not pass
    :func:`harvesters.kinds.openlineage.validation.validate_event`.
    """
    when = parse_time(event["eventTime"])
    conv = Converted(kind=kind, event_time=when)
    if kind == "dataset":
        conv.records.append(dataset_record(event["dataset"]))
        return conv
    job_obj = event["job"]
    jurn = job_urn(job_obj["namespace"], job_obj["name"])
    job_facets = _facets(job_obj.get("facets"))
    inputs = [d for d in event.get("inputs") or []]
    outputs = [d for d in event.get("outputs") or []]
    in_urns = [dataset_urn(d["namespace"], d["name"]) for d in inputs]
    out_urns = [dataset_urn(d["namespace"], d["name"]) for d in outputs]
    props: dict[str, Any] = {}
    if job_facets:
        props["openlineage"] = {"facets": job_facets}
    if inputs or outputs:
        props.setdefault("openlineage", {}).update({"inputs": in_urns, "outputs": out_urns})
    sql = (job_facets.get("sql") or {}).get("query")
    if isinstance(sql, str) and sql:
        props["sql"] = sql
    job_type = job_facets.get("jobType") or {}
    conv.records.append(
        JobRecord(
            urn=jurn,
            namespace=job_obj["namespace"],
            qualified_name=job_obj["name"],
            name=short_name(job_obj["name"]),
            platform=str(job_type.get("integration") or "openlineage").lower(),
            description=_description(job_facets),
            properties=props,
            owners=_owners(job_facets),
            tags=_tags(job_facets),
        )
    )
    known = set(in_urns) | set(out_urns)
    for ds in inputs:
        in_facets = _facets(ds.get("inputFacets"))
        conv.records.append(dataset_record(ds, in_facets))
        conv.records.extend(_quality(ds, dataset_urn(ds["namespace"], ds["name"]), when, in_facets))
    field_records = []
    with_columns = set()
    for ds, urn in zip(outputs, out_urns, strict=True):
        conv.records.append(dataset_record(ds, _facets(ds.get("outputFacets"))))
        conv.records.extend(_quality(ds, urn, when, {}))
        for up in in_urns:
            conv.records.append(LineageRecord(up, urn, jurn))
        own = _column_lineage(ds, urn, jurn, conv)
        if own:
            with_columns.add(urn)
        field_records.extend(own)
    if isinstance(sql, str) and sql:
        parsed = sql_facet_lineage(
            sql,
            jurn,
            job_obj["namespace"],
            inputs,
            outputs,
            dialect=(job_facets.get("sql") or {}).get("dialect"),
            with_columns=with_columns,
            platform=next(
                (
                    p
                    for d in [*inputs, *outputs]
                    if (p := _platform(d["namespace"], _facets(d.get("facets"))))
                ),
                "",
            ),
        )
        conv.warnings.extend(parsed.warnings)
        conv.records.extend(parsed.datasets)
        conv.records.extend(parsed.edges)
        field_records.extend(parsed.field_edges)
        known |= parsed.urns
    for rec in field_records:
        if rec.upstream_urn not in known:
            conv.warnings.append(
                f"columnLineage of {rec.downstream_urn} field {rec.downstream_field!r}: input "
                f"dataset {rec.upstream_urn} is not among the event's inputs; edge skipped"
            )
            continue
        conv.records.append(rec)
    if kind == "run":
        conv.run = _run_update(event, jurn, when)
    return conv


def _run_update(event: dict, jurn: str, when: datetime) -> RunUpdate:
    facets = _facets(event["run"].get("facets"))
    nominal = facets.get("nominalTime") or {}
    parent = facets.get("parent") or {}
    parent_run = (parent.get("run") or {}).get("runId")
    parent_job = parent.get("job") or {}
    try:
        parent_run_id = uuid.UUID(parent_run) if isinstance(parent_run, str) else None
    except ValueError:
        parent_run_id = None
    parent_job_urn = ""
    if isinstance(parent_job.get("namespace"), str) and isinstance(parent_job.get("name"), str):
        parent_job_urn = job_urn(parent_job["namespace"], parent_job["name"])
    return RunUpdate(
        run_id=uuid.UUID(event["run"]["runId"]),
        job_urn=jurn,
        event_type=str(event.get("eventType") or "OTHER"),
        event_time=when,
        facets=facets,
        nominal_start_time=parse_time(nominal.get("nominalStartTime")),
        nominal_end_time=parse_time(nominal.get("nominalEndTime")),
        parent_run_id=parent_run_id,
        parent_job_urn=parent_job_urn,
        error_message=str((facets.get("errorMessage") or {}).get("message") or ""),
    )


def _field_edges(
    inp: dict, out_urn: str, out_field: str, pairs: list[tuple[str, str]], job: str | None
) -> list[FieldLineageRecord]:
    """One FieldLineageRecord per (transformation type, subtype) from input field ``inp``
    (``{namespace, name, field}``) to ``out_field`` of ``out_urn``."""
    up = dataset_urn(inp["namespace"], inp["name"])
    return [
        FieldLineageRecord(
            up, inp["field"], out_urn, out_field, transformation=t, subtype=st, job_urn=job
        )
        for t, st in pairs
    ]
