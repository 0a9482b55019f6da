"""Load the SQL lineage cases (``tests/harvesters/sqlparsing/cases/*.yaml``) and score
:func:`harvesters.sqlparsing.lineage.parse_sql_lineage` on them.

A case: ``id``, ``category``, ``dialect``, ``sql``, optional ``default_database`` /
``default_schema`` / ``schema`` (sqlglot's nested mapping), the exact expected ``inputs``
and ``outputs`` (table names), ``columns`` (every column edge, ``"src_table.col ->
tgt_table.col TYPE/SUBTYPE"``; the target table is empty for a plain SELECT: ``->
.col``), and ``error`` (a substring every run must report; absent = no error expected).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from harvesters.sqlparsing.lineage import SqlLineage, parse_sql_lineage

CASES_DIR = Path(__file__).parent


def load_cases() -> list[dict]:
    """Every case of every YAML file, in file order."""
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()) or []:
            case.setdefault("file", path.name)
            cases.append(case)
    return cases


def run(case: dict) -> SqlLineage:
    """Parse one case's SQL with its dialect, defaults and schema."""
    return parse_sql_lineage(
        case["sql"],
        case.get("dialect"),
        case.get("default_database"),
        case.get("default_schema"),
        case.get("schema"),
    )


def _split(edge: str) -> tuple[str, str, str]:
    """``"a.b.c -> t.d TYPE/SUB"`` → ("a.b.c", "t.d", "TYPE/SUB")."""
    left, right = (part.strip() for part in edge.split("->", 1))
    target, _, kind = right.rpartition(" ")
    if "/" not in kind or not kind.isupper():
        target, kind = right, ""
    return left.lower(), target.strip().lower(), kind.upper()


def expected_edges(case: dict, typed: bool = False) -> set:
    """Expected column edges as (source, target[, type]) strings."""
    found = set()
    for edge in case.get("columns") or []:
        source, target, kind = _split(edge)
        found.add((source, target, kind) if typed else (source, target))
    return found


def actual_edges(result: SqlLineage, typed: bool = False) -> set:
    """Column edges of ``result`` in the same form as :func:`expected_edges`."""
    found = set()
    for e in result.column_lineage:
        source = f"{e.source_table}.{e.source_column}".lower()
        target = f"{e.target_table}.{e.target_column}".lower()
        kind = f"{e.transformation}/{e.subtype}"
        found.add((source, target, kind) if typed else (source, target))
    return found


def lower(names) -> set:
    """Names compared case-insensitively."""
    return {n.lower() for n in names or []}
