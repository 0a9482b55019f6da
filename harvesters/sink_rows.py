"""Row shapes of the catalog tables the harvest sink writes, and URN helpers.

Column tuples for the raw multi-row writer (:mod:`harvesters.bulk`), the merge rule's
attribute lists, :func:`parse_urn` / :func:`edge_key`, and how a record becomes an
asset row (:func:`_asset_values`) or two records of one URN merge.
"""

import hashlib
import re
from collections.abc import Iterable

from harvesters.records import (
    DatasetRecord,
    JobRecord,
)

BATCH = 1000
ASSET_MERGE_ATTRS = (
    "kind",
    "type",
    "namespace",
    "name",
    "qualified_name",
    "platform",
    "description",
    "row_count",
    "size_bytes",
)
FIELD_MERGE_ATTRS = (
    "data_type",
    "native_type",
    "nullable",
    "description",
    "ordinal",
    "is_primary_key",
    "fk_target_urn",
    "fk_target_field",
    "tags",
)
ASSET_INSERT_COLUMNS = (
    "urn",
    *ASSET_MERGE_ATTRS,
    "properties",
    "first_seen",
    "last_seen",
    "removed",
    "removed_at",
)
ASSET_UPDATE_COLUMNS = (*ASSET_MERGE_ATTRS, "properties", "last_seen", "removed", "removed_at")
# NULL parameter = keep the stored value (empty never erases); last_seen/removed are set.
ASSET_UPDATE_SQL = ("COALESCE(%s, {col})",) * (len(ASSET_MERGE_ATTRS) + 1) + ("%s", "%s", "NULL")
FIELD_INSERT_COLUMNS = ("asset", "name", *FIELD_MERGE_ATTRS)
FIELD_UPDATE_SQL = ("COALESCE(%s, {col})",) * len(FIELD_MERGE_ATTRS)
ASSET_SOURCE_COLUMNS = ("asset", "source", "last_run", "first_seen", "last_seen", "removed")
EDGE_COLUMNS = ("key", "upstream", "downstream", "job", "origin", "run", "first_seen", "last_seen")
FIELD_EDGE_COLUMNS = (
    "key",
    "upstream",
    "downstream",
    "transformation",
    "subtype",
    "job",
    "origin",
    "run",
    "first_seen",
    "last_seen",
)
QUALITY_COLUMNS = (
    "asset",
    "field_name",
    "name",
    "check_type",
    "status",
    "executed_at",
    "origin",
    "details",
    "recorded_at",
)
STREAM_BATCH = 5000  # buffered field-lineage records that trigger an early write
_URN_RE = re.compile(r"^urn:mc:(?P<kind>[a-z]+):(?P<rest>.+)$")
_NS_RE = re.compile(r"^(?P<ns>[A-Za-z][A-Za-z0-9+.\-]*://[^/]*)/(?P<name>.+)$")


def parse_urn(urn: str) -> tuple[str, str, str]:
    """Split a URN into (kind, namespace, name); ValueError if it is not one.

    The namespace is ``scheme://authority`` when it has a scheme, else everything up to
    the first ``/`` (OpenLineage job namespaces such as ``food_delivery``).
    """
    match = _URN_RE.match(urn)
    if not match:
        raise ValueError(f"not a Mesh Catalog URN: {urn!r}")
    rest = match["rest"]
    ns_match = _NS_RE.match(rest)
    if ns_match:
        return match["kind"], ns_match["ns"], ns_match["name"]
    namespace, _, name = rest.partition("/")
    if not name:
        raise ValueError(f"URN has no name part: {urn!r}")
    return match["kind"], namespace, name


def edge_key(*parts: object) -> str:
    """A stable 64-char key for an edge from its identifying parts."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _asset_values(r: DatasetRecord | JobRecord) -> dict:
    if isinstance(r, JobRecord):
        return {
            "kind": "job",
            "type": "job",
            "namespace": r.namespace,
            "name": r.name,
            "qualified_name": r.qualified_name,
            "platform": r.platform,
            "description": r.description,
            "row_count": None,
            "size_bytes": None,
        }
    return {
        "kind": r.kind,
        "type": r.type,
        "namespace": r.namespace,
        "name": r.name,
        "qualified_name": r.qualified_name,
        "platform": r.platform,
        "description": r.description,
        "row_count": r.row_count,
        "size_bytes": r.size_bytes,
    }


def _merge_records(old, new):
    """Merge two records of one URN from the same run: non-empty values of ``new`` win."""
    for attr in type(new).__slots__:
        value = getattr(new, attr)
        if value not in ("", None, [], {}):
            setattr(old, attr, value)
    return old
