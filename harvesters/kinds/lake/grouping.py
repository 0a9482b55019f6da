"""Turns a flat file listing into dataset candidates: tables, folders and lone files.

Rules (applied to the listing of one lake root, paths relative to it):

* a folder holding ``_delta_log/`` is a Delta table; everything under it belongs to it;
* a folder holding ``metadata/*.metadata.json`` is an Iceberg table (read from its metadata);
* other files are grouped by *table folder* and format: trailing ``key=value`` folder
  levels are Hive partitions, so ``sales/country=FR/year=2024/p.parquet`` belongs to the
  table folder ``sales`` with partition columns ``country`` and ``year``;
* hidden and bookkeeping files (``.x``, ``_SUCCESS``, ``*.crc``) are ignored.

Whether a folder group is one dataset or several lone files is decided later, once the
schemas are known (see :func:`split_by_schema`).
"""

import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass, field

PARQUET_EXT = (".parquet", ".parq", ".pq")
CSV_EXT = (".csv", ".tsv")
JSON_EXT = (".jsonl", ".ndjson", ".json")
FORMATS = ("parquet", "csv", "json", "delta", "iceberg")
_PARTITION_RE = re.compile(r"^(?P<key>[^=/]+)=(?P<value>[^/]*)$")
_ICEBERG_META_RE = re.compile(r"(?:^|/)metadata/[^/]+\.metadata\.json$")


@dataclass
class FileEntry:
    """One listed file: ``path`` as the filesystem names it, ``rel`` relative to the root.

    ``size`` is bytes, ``mtime`` seconds since the epoch (UTC) or None.
    """

    path: str
    rel: str
    size: int
    mtime: float | None
    partitions: dict[str, str] = field(default_factory=dict)


@dataclass
class Group:
    """Files of one format under one table folder (``folder`` relative, "" = the root)."""

    folder: str
    format: str
    files: list[FileEntry]
    partition_keys: list[str]


@dataclass
class Layout:
    """The result of :func:`plan`: table folders, file groups and unknown files."""

    delta: list[str] = field(default_factory=list)
    iceberg: dict[str, list[FileEntry]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    unknown: list[FileEntry] = field(default_factory=list)


def format_of(rel: str) -> str | None:
    """The format a file name suggests ("parquet", "csv", "json") or None."""
    lower = rel.lower()
    if lower.endswith(PARQUET_EXT):
        return "parquet"
    if lower.endswith(CSV_EXT):
        return "csv"
    if lower.endswith(JSON_EXT):
        return "json"
    return None


def is_ignored(rel: str) -> bool:
    """Hidden or bookkeeping files that are never data (``.x``, ``_SUCCESS``, ``*.crc``)."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return True
    name = parts[-1]
    return name.startswith("_") or name.endswith(".crc")


def excluded(rel: str, patterns: list[str]) -> bool:
    """True if ``rel`` (or any of its parent folders) matches one of the glob ``patterns``."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pat) for pat in patterns for p in prefixes)


def split_partitions(folder: str) -> tuple[str, dict[str, str]]:
    """Split ``a/b/k1=v1/k2=v2`` into (``a/b``, {"k1": "v1", "k2": "v2"})."""
    parts = folder.split("/") if folder else []
    partitions: dict[str, str] = {}
    while parts and (m := _PARTITION_RE.match(parts[-1])):
        partitions = {m["key"]: m["value"], **partitions}
        parts.pop()
    return "/".join(parts), partitions


def _delta_root(rel: str) -> str | None:
    """The Delta table folder a path belongs to ("" = the root), or None."""
    if rel.startswith("_delta_log/"):
        return ""
    if "/_delta_log/" in rel:
        return rel.split("/_delta_log/")[0]
    return None


def plan(entries: list[FileEntry], formats: list[str] | None = None) -> Layout:
    """Sort ``entries`` (relative paths, any order) into a :class:`Layout`.

    ``formats`` is an optional allow-list of FORMATS; files of other formats are dropped.
    Files whose extension says nothing land in ``layout.unknown`` (the caller sniffs them).
    """
    allowed = set(formats or FORMATS)
    layout = Layout()
    delta_roots = sorted({_delta_root(e.rel) for e in entries} - {None})
    iceberg_roots = sorted(
        {_ICEBERG_META_RE.sub("", e.rel) for e in entries if _ICEBERG_META_RE.search(e.rel)}
    )

    def owner(rel: str, roots: list[str]) -> str | None:
        for root in roots:
            if root == "" or rel == root or rel.startswith(root + "/"):
                return root
        return None

    by_folder: dict[tuple[str, str], list[FileEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: e.rel):
        if owner(entry.rel, delta_roots) is not None:
            continue
        ice = owner(entry.rel, iceberg_roots)
        if ice is not None:
            if "iceberg" in allowed:
                layout.iceberg.setdefault(ice, []).append(entry)
            continue
        if is_ignored(entry.rel):
            continue
        fmt = format_of(entry.rel)
        if fmt is None:
            layout.unknown.append(entry)
            continue
        if fmt not in allowed:
            continue
        folder = entry.rel.rsplit("/", 1)[0] if "/" in entry.rel else ""
        table, entry.partitions = split_partitions(folder)
        by_folder[(table, fmt)].append(entry)
    if "delta" in allowed:
        layout.delta = delta_roots
    for (table, fmt), files in sorted(by_folder.items()):
        keys: list[str] = []
        for f in files:
            keys.extend(k for k in f.partitions if k not in keys)
        layout.groups.append(Group(folder=table, format=fmt, files=files, partition_keys=keys))
    return layout


def split_by_schema(group: Group, keys: dict[str, object]) -> tuple[bool, list[list[FileEntry]]]:
    """Decide how the described files of ``group`` become datasets.

    ``keys`` maps a file path to its schema key (files that failed are absent). Returns
    (is_folder_dataset, units): a Hive-partitioned group, or a folder whose files all
    share one schema key and number two or more, is one folder dataset; otherwise every
    file is its own dataset, so different-schema files are never merged.
    """
    good = [f for f in group.files if f.path in keys]
    if not good:
        return False, []
    partitioned = bool(group.partition_keys)
    same = len({repr(keys[f.path]) for f in good}) == 1
    if partitioned or (same and len(good) >= 2):
        return True, [good]
    return False, [[f] for f in good]
