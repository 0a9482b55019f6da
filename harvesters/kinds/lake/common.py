"""Shapes shared by the lake format readers."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from harvesters.records import FieldRecord

# The first line of a Rust backtrace block: ``Stack backtrace:`` (anyhow) or a numbered
# frame (``   0: <unknown>``, std::backtrace). Everything from there on is the backtrace.
_BACKTRACE_START = re.compile(r"^\s*(?:stack backtrace:|\d+: )", re.IGNORECASE)


class LakeFileError(Exception):
    """A file or table that cannot be described; the message is the reason shown to users."""


def error_text(exc: BaseException | str) -> str:
    """The message of ``exc`` on one line, for a run report.

    Native readers (deltalake and the Rust crates under pyiceberg) append a backtrace
    block to their messages when ``RUST_BACKTRACE`` is set (``   0: <unknown>`` frames,
    ``at ./file.c:442:8`` locations, anyhow's ``Stack backtrace:``); that block and
    everything after it is dropped. The remaining lines (e.g. pydantic's multi-line
    validation errors) are stripped and joined with spaces.
    """
    kept = []
    for line in str(exc).splitlines():
        if _BACKTRACE_START.match(line):
            break
        if line.strip():
            kept.append(line.strip())
    return " ".join(kept)


@dataclass
class FileInfo:
    """What one data file says about itself.

    ``schema`` is a ``pyarrow.Schema``; ``rows`` is None when unknown (a CSV larger than
    its sample); ``native`` maps field names to a native type string overriding the Arrow
    one; ``props`` holds format facts (codecs, row groups, delimiter...).
    """

    schema: object
    rows: int | None
    native: dict[str, str] = field(default_factory=dict)
    props: dict = field(default_factory=dict)


@dataclass
class TableInfo:
    """A table format's own description (Delta, Iceberg).

    ``location`` is the table's root URI; sizes in bytes; ``last_modified`` an ISO 8601
    UTC string or ""; ``props`` format facts (version, snapshot id...).
    """

    location: str
    fields: list[FieldRecord]
    rows: int | None
    size_bytes: int | None
    file_count: int | None
    partition_columns: list[str]
    last_modified: str
    props: dict = field(default_factory=dict)


def iso_from_seconds(seconds: float | None) -> str:
    """ISO 8601 UTC timestamp (second precision) from epoch seconds; "" for None."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds")


def location_name(uri: str) -> tuple[str, str]:
    """OpenLineage (namespace, name) of a location URI.

    ``file:///srv/x`` → (``file``, ``/srv/x``), as OpenLineage names local files and as
    Spark's and Airflow's integrations emit them (URN ``urn:mc:dataset:file//srv/x``);
    ``s3://bucket/a/b`` → (``s3://bucket``, ``a/b``); a bare path is treated as a file.
    """
    parts = urlsplit(uri)
    if parts.scheme in ("", "file", "local"):
        return "file", parts.path or "/"
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/") or "/"


def file_mtime(info: dict) -> float | None:
    """Modification time in epoch seconds from an fsspec info dict (local, S3, GCS...)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modified"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return value.timestamp()
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


def merge_props(props: list[dict]) -> dict:
    """Merge per-file facts: lists are unioned, integers summed, other values kept once."""
    out: dict = {}
    for p in props:
        for key, value in p.items():
            if isinstance(value, list):
                out[key] = sorted(set(out.get(key, [])) | set(value))
            elif isinstance(value, int) and not isinstance(value, bool):
                out[key] = out.get(key, 0) + value
            else:
                out.setdefault(key, value)
    return out
