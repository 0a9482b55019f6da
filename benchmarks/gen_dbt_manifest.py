"""Generate a synthetic dbt ``target/`` folder for benchmarks (deterministic, seeded).

Writes ``manifest.json`` (schema v12), ``catalog.json`` (v1) and ``run_results.json``
(v6) in the shapes dbt-core 1.10 writes (https://docs.getdbt.com/reference/artifacts/
dbt-artifacts) for a DuckDB project ``bench`` with ``N`` models in four layers:

* sources ``raw.src_XXXX`` (N/10, at least 5);
* staging views (25%): each selects and renames columns of one source;
* intermediate tables (45%): each joins 1–4 staging/earlier intermediate models;
* marts (30%): each joins 1–4 intermediate/staging models, half of them aggregate.

Upstreams are picked with a skew towards a few "hub" models (as real projects have a
handful of central models), so some nodes have thousands of descendants. Every model
has 20 columns (``id`` + 19), compiled SQL in dbt style (one CTE per upstream doing
``select *``, joins on ``id``, column expressions over 1–2 upstream columns) that
sqlglot parses, two tests (``not_null``/``unique`` on ``id``) with mostly passing
results, and there are N/100 exposures on marts.

Usage: ``python benchmarks/gen_dbt_manifest.py 10000 /tmp/bench_10k [--seed 42]``.
"""

import argparse
import json
import random
from pathlib import Path

DATABASE, PROJECT = "bench", "bench"
COLUMNS = 20
TYPES = ["INTEGER", "VARCHAR", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "DECIMAL(18,2)", "BIGINT"]
WORDS = [
    "customer",
    "order",
    "amount",
    "status",
    "region",
    "channel",
    "price",
    "qty",
    "discount",
    "created",
    "updated",
    "segment",
    "score",
    "country",
    "currency",
    "sku",
]
GENERATED_AT = "2026-11-01T00:00:00.000000Z"
EXPRESSIONS = [
    "{a}",
    "{a} + {b}",
    "coalesce({a}, {b})",
    "case when {a} is null then {b} else {a} end",
    "upper(cast({a} as varchar))",
    "{a} * 100",
]
STAGING_EXPRESSIONS = ["{s}", "{s}", "trim(cast({s} as varchar))", "lower(cast({s} as varchar))"]
AGGREGATES = ["sum({a})", "max({a})", "min({a})", "count({a})", "avg({a})"]


def column_names(rng: random.Random) -> list[str]:
    """``id`` plus 19 distinct ``<word>_<word>_<n>`` names."""
    names = ["id"]
    for i in range(1, COLUMNS):
        names.append(f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i:02d}")
    return names


def pick_upstreams(rng: random.Random, pool: list[str], count: int) -> list[str]:
    """``count`` distinct names from ``pool``, skewed towards its first (hub) entries."""
    chosen: list[str] = []
    while len(chosen) < min(count, len(pool)):
        # Half of the picks go to the first 2% of the pool: a few central models.
        if rng.random() < 0.5:
            index = int(rng.random() * max(1, len(pool) // 50))
        else:
            index = int(rng.random() * len(pool))
        name = pool[index]
        if name not in chosen:
            chosen.append(name)
    return chosen


def relation(schema: str, name: str) -> str:
    return f'"{DATABASE}"."{schema}"."{name}"'


def model_sql(
    rng: random.Random, ups: list[tuple[str, str, list[str]]], cols: list[str], aggregate: bool
) -> str:
    """dbt-style compiled SQL selecting ``cols`` from the upstream relations ``ups``
    (``[(schema, name, columns)]``)."""
    ctes = [f"u{i} as (\n    select * from {relation(s, n)}\n)" for i, (s, n, _) in enumerate(ups)]
    select = ["u0.id as id"]
    for col in cols[1:]:
        picks = [rng.randrange(len(ups)) for _ in range(2)]
        a, b = (f"u{p}.{rng.choice(ups[p][2][1:])}" for p in picks)
        template = rng.choice(AGGREGATES if aggregate else EXPRESSIONS)
        select.append(f"{template.format(a=a, b=b)} as {col}")
    joins = "".join(f"\n    left join u{i} on u0.id = u{i}.id" for i in range(1, len(ups)))
    group = "\n    group by u0.id" if aggregate else ""
    body = ",\n        ".join(select)
    ctes.append(f"final as (\n    select\n        {body}\n    from u0{joins}{group}\n)")
    return "with " + ",\n".join(ctes) + "\nselect * from final\n"


def staging_sql(rng: random.Random, source: tuple[str, str, list[str]], cols: list[str]) -> str:
    """A staging model: rename/cast the columns of one source."""
    _, name, src_cols = source
    select = ["id as id"]
    for col in cols[1:]:
        template = rng.choice(STAGING_EXPRESSIONS)
        select.append(f"{template.format(s=rng.choice(src_cols[1:]))} as {col}")
    body = ",\n        ".join(select)
    return (
        f"with source as (\n    select * from {relation('raw', name)}\n),\n"
        f"renamed as (\n    select\n        {body}\n    from source\n)\n"
        "select * from renamed\n"
    )


def column_docs(cols: list[str], types: list[str], node: str) -> dict:
    return {
        c: {
            "name": c,
            "description": f"{c.replace('_', ' ')} of {node}",
            "meta": {},
            "data_type": None,
            "constraints": [],
            "quote": None,
            "config": {"meta": {}, "tags": []},
            "tags": [],
            "granularity": None,
            "doc_blocks": [],
        }
        for c, t in zip(cols, types, strict=True)
    }


def catalog_entry(
    uid: str, schema: str, name: str, cols: list[str], types: list[str], view: bool, rows: int
) -> dict:
    stats = {
        "has_stats": {
            "id": "has_stats",
            "label": "Has Stats?",
            "value": True,
            "include": False,
            "description": "",
        }
    }
    if not view:
        stats["num_rows"] = {
            "id": "num_rows",
            "label": "# Rows",
            "value": rows,
            "include": True,
            "description": "",
        }
    return {
        "unique_id": uid,
        "metadata": {
            "type": "VIEW" if view else "BASE TABLE",
            "schema": schema,
            "name": name,
            "database": DATABASE,
            "comment": None,
            "owner": None,
        },
        "columns": {
            c: {"type": t, "index": i + 1, "name": c, "comment": None}
            for i, (c, t) in enumerate(zip(cols, types, strict=True))
        },
        "stats": stats,
    }


def generate(n_models: int, seed: int = 42) -> tuple[dict, dict, dict]:
    """Return ``(manifest, catalog, run_results)`` for ``n_models`` models."""
    rng = random.Random(seed)
    n_sources = max(5, n_models // 10)
    n_staging = max(1, n_models * 25 // 100)
    n_inter = max(1, n_models * 45 // 100)
    n_marts = max(1, n_models - n_staging - n_inter)
    nodes, sources, exposures, cat_nodes, cat_sources, results = {}, {}, {}, {}, {}, []
    info: dict[str, tuple[str, str, list[str]]] = {}  # uid -> (schema, name, columns)
    parent_map: dict[str, list[str]] = {}

    for i in range(n_sources):
        name, uid = f"src_{i:05d}", f"source.{PROJECT}.raw.src_{i:05d}"
        cols = column_names(rng)
        types = ["INTEGER"] + [rng.choice(TYPES) for _ in cols[1:]]
        sources[uid] = {
            "database": DATABASE,
            "schema": "raw",
            "name": name,
            "resource_type": "source",
            "package_name": PROJECT,
            "path": "models/sources.yml",
            "original_file_path": "models/sources.yml",
            "unique_id": uid,
            "fqn": [PROJECT, "raw", name],
            "source_name": "raw",
            "source_description": "",
            "loader": "fivetran",
            "identifier": name,
            "quoting": {},
            "loaded_at_field": None,
            "freshness": None,
            "external": None,
            "description": f"Raw table {name}",
            "columns": column_docs(cols, types, name),
            "meta": {},
            "source_meta": {},
            "tags": [],
            "config": {"enabled": True},
            "relation_name": relation("raw", name),
            "created_at": 0,
        }
        cat_sources[uid] = catalog_entry(
            uid, "raw", name, cols, types, False, rng.randrange(1000, 10_000_000)
        )
        info[uid] = ("raw", name, cols)

    layers = (
        [("staging", "view", i) for i in range(n_staging)]
        + [("intermediate", "table", i) for i in range(n_inter)]
        + [("marts", "table", i) for i in range(n_marts)]
    )
    staging, inter, marts = [], [], []
    source_ids = list(sources)
    for layer, materialized, i in layers:
        prefix = {"staging": "stg", "intermediate": "int", "marts": "fct"}[layer]
        name = f"{prefix}_{i:05d}"
        uid = f"model.{PROJECT}.{name}"
        cols = column_names(rng)
        types = ["INTEGER"] + [rng.choice(TYPES) for _ in cols[1:]]
        aggregate = False
        if layer == "staging":
            parents = [source_ids[i % len(source_ids)]]
            sql = staging_sql(rng, info[parents[0]], cols)
        else:
            # Hubs are the first entries: early intermediates, so dependencies cascade.
            pool = inter + staging
            parents = pick_upstreams(rng, pool, rng.randint(1, 4))
            aggregate = layer == "marts" and rng.random() < 0.5
            sql = model_sql(rng, [info[p] for p in parents], cols, aggregate)
        {"staging": staging, "intermediate": inter, "marts": marts}[layer].append(uid)
        owner = {"owner": f"team-{rng.randrange(20):02d}"} if layer == "marts" else {}
        nodes[uid] = {
            "database": DATABASE,
            "schema": "main",
            "name": name,
            "resource_type": "model",
            "package_name": PROJECT,
            "path": f"{layer}/{name}.sql",
            "original_file_path": f"models/{layer}/{name}.sql",
            "unique_id": uid,
            "fqn": [PROJECT, layer, name],
            "alias": name,
            "checksum": {"name": "sha256", "checksum": f"{rng.getrandbits(128):032x}"},
            "config": {
                "enabled": True,
                "alias": None,
                "schema": None,
                "database": None,
                "tags": [layer],
                "meta": owner,
                "materialized": materialized,
            },
            "tags": [layer],
            "description": f"{layer.title()} model {name}.",
            "columns": column_docs(cols, types, name),
            "meta": owner,
            "group": None,
            "docs": {"show": True, "node_color": None},
            "patch_path": None,
            "build_path": None,
            "unrendered_config": {"materialized": materialized},
            "created_at": 0,
            "relation_name": relation("main", name),
            "raw_code": "-- generated\n" + sql.replace('"bench"."main".', ""),
            "language": "sql",
            "refs": [],
            "sources": [],
            "metrics": [],
            "depends_on": {"macros": [], "nodes": parents},
            "compiled_path": f"target/compiled/{PROJECT}/models/{layer}/{name}.sql",
            "compiled": True,
            "compiled_code": sql,
            "extra_ctes_injected": True,
            "extra_ctes": [],
            "contract": {"enforced": False},
            "access": "protected",
            "constraints": [],
            "version": None,
            "latest_version": None,
            "deprecation_date": None,
            "primary_key": ["id"],
            "time_spine": None,
        }
        parent_map[uid] = parents
        cat_nodes[uid] = catalog_entry(
            uid, "main", name, cols, types, materialized == "view", rng.randrange(100, 5_000_000)
        )
        info[uid] = ("main", name, cols)
        results.append(run_result(rng, uid, "model"))
        for test in ("not_null", "unique"):
            tid = f"test.{PROJECT}.{test}_{name}_id.{rng.getrandbits(40):010x}"
            nodes[tid] = {
                "database": DATABASE,
                "schema": "main_dbt_test__audit",
                "name": f"{test}_{name}_id",
                "resource_type": "test",
                "package_name": PROJECT,
                "path": f"{test}_{name}_id.sql",
                "original_file_path": f"models/{layer}.yml",
                "unique_id": tid,
                "fqn": [PROJECT, layer, f"{test}_{name}_id"],
                "alias": f"{test}_{name}_id",
                "config": {"enabled": True, "severity": "ERROR", "materialized": "test"},
                "tags": [],
                "description": "",
                "columns": {},
                "meta": {},
                "column_name": "id",
                "attached_node": uid,
                "file_key_name": f"models.{name}",
                "test_metadata": {"name": test, "kwargs": {"column_name": "id"}, "namespace": None},
                "depends_on": {"macros": [f"macro.dbt.test_{test}"], "nodes": [uid]},
            }
            parent_map[tid] = [uid]
            results.append(run_result(rng, tid, "test"))

    for i in range(max(1, n_models // 100)):
        name = f"dashboard_{i:04d}"
        uid = f"exposure.{PROJECT}.{name}"
        parents = pick_upstreams(rng, marts, rng.randint(1, 3))
        exposures[uid] = {
            "name": name,
            "resource_type": "exposure",
            "package_name": PROJECT,
            "path": "exposures.yml",
            "original_file_path": "models/exposures.yml",
            "unique_id": uid,
            "fqn": [PROJECT, name],
            "type": "dashboard",
            "owner": {"email": f"analyst{i % 7}@example.com", "name": f"Analyst {i % 7}"},
            "description": f"Dashboard {i}",
            "label": f"Dashboard {i}",
            "maturity": "high",
            "meta": {},
            "tags": [],
            "config": {"enabled": True},
            "unrendered_config": {},
            "url": f"https://bi.example.com/d/{i}",
            "depends_on": {"macros": [], "nodes": parents},
            "refs": [],
            "sources": [],
            "metrics": [],
            "created_at": 0,
        }
        parent_map[uid] = parents

    child_map: dict[str, list[str]] = {uid: [] for uid in [*sources, *nodes, *exposures]}
    for child, parents in parent_map.items():
        for parent in parents:
            child_map[parent].append(child)
    metadata = {
        "dbt_version": "1.10.23",
        "generated_at": GENERATED_AT,
        "invocation_id": "00000000-0000-0000-0000-000000000000",
        "env": {},
    }
    manifest = {
        "metadata": {
            **metadata,
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "project_name": PROJECT,
            "project_id": "bench",
            "adapter_type": "duckdb",
            "quoting": {"database": True, "schema": True, "identifier": True},
        },
        "nodes": nodes,
        "sources": sources,
        "macros": {},
        "docs": {},
        "exposures": exposures,
        "metrics": {},
        "groups": {},
        "selectors": {},
        "disabled": {},
        "parent_map": parent_map,
        "child_map": child_map,
        "group_map": {},
        "saved_queries": {},
        "semantic_models": {},
        "unit_tests": {},
    }
    catalog = {
        "metadata": {
            **metadata,
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json",
        },
        "nodes": cat_nodes,
        "sources": cat_sources,
        "errors": None,
    }
    run_results = {
        "metadata": {
            **metadata,
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
        },
        "results": results,
        "elapsed_time": 1.0,
        "args": {"which": "build"},
    }
    return manifest, catalog, run_results


def run_result(rng: random.Random, uid: str, kind: str) -> dict:
    """One ``run_results.json`` entry; tests pass 96%, fail 2%, warn 1%, error 1%."""
    roll = rng.random()
    if kind == "test":
        status = (
            "pass"
            if roll < 0.96
            else "fail"
            if roll < 0.98
            else ("warn" if roll < 0.99 else "error")
        )
    else:
        status = "success" if roll < 0.99 else "error"
    failures = (
        0 if status == "pass" else rng.randrange(1, 50) if status in {"fail", "warn"} else None
    )
    return {
        "status": status,
        "timing": [
            {"name": "compile", "started_at": GENERATED_AT, "completed_at": GENERATED_AT},
            {"name": "execute", "started_at": GENERATED_AT, "completed_at": GENERATED_AT},
        ],
        "thread_id": "Thread-1",
        "execution_time": round(rng.random(), 3),
        "adapter_response": {},
        "message": None if status in {"pass", "success"} else f"{status}: {failures} rows",
        "failures": failures,
        "unique_id": uid,
        "compiled": True,
        "compiled_code": "",
        "relation_name": None,
        "batch_results": None,
    }


def write(out: Path, n_models: int, seed: int = 42) -> Path:
    """Generate and write the three artifacts into ``out`` (created); returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, data in zip(
        ("manifest", "catalog", "run_results"), generate(n_models, seed), strict=True
    ):
        (out / f"{name}.json").write_text(json.dumps(data))
    return out


def main() -> None:
    """Command line: ``gen_dbt_manifest.py N OUT_DIR [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=int, help="number of dbt models")
    parser.add_argument("out", type=Path, help="target folder to write")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    write(args.out, args.models, args.seed)
    size = sum(f.stat().st_size for f in args.out.glob("*.json")) / 1e6
    print(f"wrote {args.models} models to {args.out} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
