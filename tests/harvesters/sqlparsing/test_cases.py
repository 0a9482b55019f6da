"""parse_sql_lineage on the case corpus in tests/harvesters/sqlparsing/cases/*.yaml: exact tables read
and written, every column edge with its OpenLineage transformation type, and the errors
a user is shown (see tests/harvesters/sqlparsing/cases/scoring.py for the case format)."""

import pytest

from tests.harvesters.sqlparsing.cases.scoring import (
    actual_edges,
    expected_edges,
    load_cases,
    lower,
    run,
)

CASES = load_cases()


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['category']}-{c['dialect']}-{c['id']}" for c in CASES]
)
def test_case(case):
    result = run(case)
    assert lower(result.inputs) == lower(case.get("inputs"))
    assert lower(result.outputs) == lower(case.get("outputs"))
    assert actual_edges(result, typed=True) == expected_edges(case, typed=True)
    if case.get("error"):
        assert any(case["error"].lower() in e.lower() for e in result.errors), result.errors
    else:
        assert result.errors == []


def test_corpus_covers_every_category_in_several_dialects():
    categories = {c["category"] for c in CASES}
    assert {
        "with_dml", "paren_body", "merge_update", "indirect", "procedure", "copy_paths",
        "unaliased", "star", "insert_position", "select_into", "lateral", "alter",
        "ambiguous", "errors",
    } <= categories  # fmt: skip
    assert len({c["dialect"] for c in CASES}) >= 14


def test_column_sources_keep_direct_subtype():
    result = run({"sql": "select sum(x) as s, y from t group by y", "dialect": "duckdb"})
    assert [(s.column, s.subtype) for s in result.columns["s"]] == [("x", "AGGREGATION")]
    assert [(s.column, s.subtype) for s in result.columns["y"]] == [("y", "IDENTITY")]
