"""The SQL-parsing process pool gives exactly what in-process parsing gives, in order."""

import multiprocessing

from harvesters.sqlparsing.lineage import parse_sql_lineage
from harvesters.sqlparsing.pool import MIN_PARALLEL, ParseFailure, parse_many

SCHEMA = {"db": {"main": {f"t{i}": {"id": "INT", f"c{i}": "TEXT"} for i in range(5)}}}


def _jobs(n: int) -> list[tuple[str, str, str]]:
    jobs = []
    for i in range(n):
        if i % 50 == 7:
            sql = "select from where ((("  # unparseable: an error in the lineage, not a raise
        else:
            t = f"t{i % 5}"
            sql = f"with u as (select * from {t}) select u.id as id_{i}, u.c{i % 5} as v from u"
        jobs.append((sql, "db", "main"))
    return jobs


def _plain(lineage) -> tuple:
    return (
        lineage.inputs,
        {k: [(s.table, s.column) for s in v] for k, v in lineage.columns.items()},
        lineage.errors,
    )


def test_pool_results_equal_in_process_results_in_order():
    jobs = _jobs(MIN_PARALLEL + 30)
    results = parse_many(jobs, "duckdb", SCHEMA, workers=2)
    pooled = [next(results)]
    assert len(multiprocessing.active_children()) == 2  # parsed by two worker processes
    pooled += list(results)
    assert multiprocessing.active_children() == []  # the pool is shut down at the end
    expected = [
        parse_sql_lineage(
            sql, dialect="duckdb", default_database=d, default_schema=s, schema=SCHEMA
        )
        for sql, d, s in jobs
    ]
    assert len(pooled) == len(jobs)
    assert not any(isinstance(r, ParseFailure) for r in pooled)
    assert [_plain(r) for r in pooled] == [_plain(r) for r in expected]
    assert pooled[3].columns["id_3"][0].table == "db.main.t3"
    assert pooled[7].errors and not pooled[7].columns


def test_small_batches_and_single_worker_parse_in_process():
    jobs = _jobs(3)
    assert [_plain(r) for r in parse_many(jobs, "duckdb", SCHEMA)] == [
        _plain(r) for r in parse_many(jobs, "duckdb", SCHEMA, workers=1)
    ]
