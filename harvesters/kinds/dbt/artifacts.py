"""Loading dbt artifacts compactly: only the keys :mod:`harvesters.kinds.dbt.harvester` reads are kept.

dbt artifacts (https://docs.getdbt.com/reference/artifacts/dbt-artifacts) carry much
that a catalog never reads: raw code, full configs, per-column constraints, macros,
parent/child maps, adapter responses. :func:`load_artifact` parses a file with
:func:`harvesters.kinds.dbt.jsonload.load_compact` and keeps, per node / result, only the keys
listed here. Values the harvester reads with ``x.get(key) or default`` are dropped when
falsy (same result); anything that is not of the expected shape is kept as it is, so
malformed input fails in the harvester exactly as before (a per-item error naming it).

Keep these lists in step with :mod:`harvesters.kinds.dbt.harvester` when it starts reading a new key.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

from harvesters.kinds.dbt.jsonload import load_compact

# manifest nodes, sources, exposures (and tests: attached_node, column_name, test_metadata)
NODE_KEYS = (
    "unique_id",
    "resource_type",
    "name",
    "identifier",
    "alias",
    "database",
    "schema",
    "config",
    "meta",
    "tags",
    "description",
    "source_description",
    "source_name",
    "loader",
    "original_file_path",
    "path",
    "columns",
    "depends_on",
    "compiled_code",
    "compiled_sql",
    "label",
    "maturity",
    "owner",
    "type",
    "url",
    "attached_node",
    "column_name",
    "test_metadata",
)
NODE_CONFIG_KEYS = ("materialized", "meta", "tags")
COLUMN_KEYS = ("name", "description", "data_type", "tags")  # read as ``.get(k) or ...``
CATALOG_COLUMN_KEYS = ("name", "type", "index", "comment")  # read as ``.get(k) or ...``
STATS_KEYS = ("num_rows", "row_count", "rows", "num_bytes", "bytes", "size_bytes")
RESULT_KEYS = ("unique_id", "status", "execution_time", "message", "failures", "timing")


def load_artifact(path: Path, artifact: str) -> dict:
    """Parse ``manifest``, ``catalog`` or ``run_results`` JSON at ``path``, compacted.

    Raises ValueError naming the file for bad JSON or a top level that is not an
    object (as :func:`harvesters.kinds.dbt.jsonload.load_json`); OSError if it cannot be read.
    """
    if artifact == "manifest":
        sections = {"nodes": _node, "sources": _node, "exposures": _node}
        return load_compact(path, sections, {"metadata", *sections})
    if artifact == "catalog":
        sections = {"nodes": _catalog_node, "sources": _catalog_node}
        return load_compact(path, sections, set(sections))
    if artifact == "run_results":
        return load_compact(path, {"results": _result}, {"results"})
    raise ValueError(f"unknown dbt artifact {artifact!r}")


def _pick(value: Any, keys: tuple[str, ...], truthy: bool = False) -> Any:
    if not isinstance(value, dict):
        return value
    if truthy:
        return {k: value[k] for k in keys if value.get(k)}
    return {k: value[k] for k in keys if k in value}


def _node(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out = _pick(node, NODE_KEYS)
    if "config" in out:
        out["config"] = _pick(out["config"], NODE_CONFIG_KEYS)
    if isinstance(out.get("depends_on"), dict):
        out["depends_on"] = _pick(out["depends_on"], ("nodes",))
    if isinstance(out.get("test_metadata"), dict):
        out["test_metadata"] = _pick(out["test_metadata"], ("name",))
    if isinstance(out.get("columns"), dict):
        out["columns"] = {name: _column(col) for name, col in out["columns"].items()}
    return out


def _column(col: Any) -> Any:
    if not isinstance(col, dict):
        return col
    out = _pick(col, COLUMN_KEYS, truthy=True)
    config = col.get("config")
    if config:  # read as ``(doc.get("config") or {}).get("tags") or []``
        if not isinstance(config, dict):
            out["config"] = config
        elif config.get("tags"):
            out["config"] = {"tags": config["tags"]}
    return out


def _catalog_node(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out = {}
    if "columns" in node:
        columns = node["columns"]
        out["columns"] = (
            {name: _pick(col, CATALOG_COLUMN_KEYS, truthy=True) for name, col in columns.items()}
            if isinstance(columns, dict)
            else columns
        )
    if "stats" in node:
        stats = node["stats"]
        out["stats"] = (
            {k: _pick(stats[k], ("value",)) for k in STATS_KEYS if k in stats}
            if isinstance(stats, dict)
            else stats
        )
    return out


def _result(result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    out = _pick(result, RESULT_KEYS)
    timing = out.get("timing")
    if isinstance(timing, list):
        out["timing"] = [_pick(t, ("name", "completed_at")) for t in timing]
    return out


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp from dbt (``2026-11-21T19:11:15.30Z``) or None."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def completed_at(result: dict) -> str | None:
    """When a run result finished: the ``execute`` timing's ``completed_at``."""
    timing = [t for t in result.get("timing") or [] if isinstance(t, dict)]
    for t in timing:
        if t.get("name") == "execute" and t.get("completed_at"):
            return t["completed_at"]
    return timing[-1].get("completed_at") if timing else None
