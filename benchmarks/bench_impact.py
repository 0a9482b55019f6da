"""Benchmark: impact analysis (every downstream asset) of a node with ≥1k descendants.

Generates (once, cached) a dbt project with ``gen_dbt_manifest.py`` (10k models by
default), harvests it into a fresh database (not timed), picks the model or source
with the most descendants from the manifest's ``child_map``, then times

* ``lineage.queries.impact(urn)`` — graph traversal through the configured graph
  backend (``MESH_GRAPH_BACKEND``, default ``sql``) plus loading names/owners/paths;
* ``GET /api/v1/impact?urn=...`` — the same through DRF with JSON rendering;

``--runs`` times each (default 5) and prints the median, min and max.

Usage::

    .venv/bin/python benchmarks/bench_impact.py                       # SQLite, 10k models
    .venv/bin/python benchmarks/bench_impact.py --models 1000 --runs 9
    .venv/bin/python benchmarks/bench_impact.py \\
        --database-url postgres://postgres@127.0.0.1:5432/mc_bench    # PostgreSQL

The PostgreSQL database named in the URL is dropped and re-created, so its name must
contain ``bench``.

Graph mode (``--graph-nodes N``): instead of a dbt project, a synthetic graph of N datasets
and ~3N edges (``gen_lineage_graph.py``) is written straight into the database; the root
is the first node of a 12,000-node cluster (11,999 descendants; N-1 when N is smaller).
It times the traversal alone (``GraphBackend.impact``) and ``lineage.queries.impact`` on
the ``sql`` backend, then with ``--neo4j`` starts Neo4j (``tests/neo4j_server.py``, or
uses ``NEO4J_URI``), times ``rebuild_graph`` (one run) and the same calls on the ``bolt``
backend, and checks that both backends give the same rows::

    .venv/bin/python benchmarks/bench_impact.py --graph-nodes 100000 --neo4j
    .venv/bin/python benchmarks/bench_impact.py --graph-nodes 1000000 --neo4j \
        --database-url postgres://postgres@127.0.0.1:5432/mc_graph_bench
"""

import argparse
import gc
import json
import os
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DEFAULT_WORKDIR,
    ensure_target,
    fresh_database,
    harvest_dbt,
    machine,
    median,
)

MIN_DESCENDANTS = 1000


def busiest_node(manifest: dict) -> tuple[str, int]:
    """The model/source unique_id with the most (non-test) descendants, and that count."""
    children = {
        uid: [c for c in kids if not c.startswith("test.")]
        for uid, kids in manifest["child_map"].items()
    }
    candidates = [u for u in children if u.startswith(("model.", "source."))]
    # Only the 200 nodes with the most direct children are worth a full traversal.
    candidates.sort(key=lambda u: len(children[u]), reverse=True)
    best, best_count = "", -1
    for uid in candidates[:200]:
        seen, queue = {uid}, deque([uid])
        while queue:
            for child in children.get(queue.popleft(), ()):
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        if len(seen) - 1 > best_count:
            best, best_count = uid, len(seen) - 1
    return best, best_count


def urn_of(manifest: dict, uid: str) -> str:
    """The dataset URN the dbt harvester gives ``uid`` (DuckDB: duckdb://<database>)."""
    from catalog.urns import dataset_urn

    node = manifest["nodes"].get(uid) or manifest["sources"][uid]
    name = node.get("identifier") or node.get("alias") or node["name"]
    return dataset_urn(
        f"duckdb://{node['database']}", f"{node['database']}.{node['schema']}.{name}"
    )


def timed(fn, runs: int) -> list[float]:
    """Wall times in seconds of ``runs`` calls of ``fn``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def graph_main(args) -> None:
    """``--graph-nodes``: time impact on the synthetic graph, ``sql`` then Neo4j."""
    import gen_lineage_graph as gen

    workdir = Path(args.workdir) / f"graph_{args.graph_nodes}"
    fresh_database(args.database_url, workdir, keep=args.reuse_database)
    from django.test import override_settings

    from catalog.models import Asset
    from lineage import queries
    from lineage.graph import get_graph_backend
    from lineage.graph.projection import GraphProjection
    from lineage.models import LineageEdge

    urn = gen.node_urn(0)
    if not Asset.objects.filter(urn=urn).exists():
        print(f"generating {args.graph_nodes} nodes ...", file=sys.stderr)
        gen.generate(args.graph_nodes, log=lambda m: print(m, file=sys.stderr))
    root = Asset.objects.get(urn=urn).id
    expected = min(gen.CLUSTER, args.graph_nodes) - 1
    edges = LineageEdge.objects.count()
    database = "postgresql" if args.database_url else "sqlite"
    results = []  # (graph backend, what, times)

    def measure(graph: str) -> list[dict]:
        backend = get_graph_backend()
        rows = queries.impact(urn)  # also warms caches
        # kept for the comparison below: frozen like the server's long-lived objects, so
        # the timed calls pay the collector for their own garbage only, as a request does
        gc.collect()
        gc.freeze()
        assert len(rows) == expected, f"{graph}: impact found {len(rows)}, expected {expected}"
        results.append(
            (
                graph,
                "traversal (GraphBackend.impact)",
                timed(lambda: backend.impact(root), args.runs),
            )
        )
        results.append(
            (graph, "lineage.queries.impact", timed(lambda: queries.impact(urn), args.runs))
        )
        return rows

    sql_rows = measure("sql")
    if args.neo4j:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        server = None
        if os.environ.get("NEO4J_URI"):
            uri = os.environ["NEO4J_URI"]
            user, password = os.environ.get("NEO4J_USER", ""), os.environ.get("NEO4J_PASSWORD", "")
        else:
            from tests.neo4j_server import start_neo4j

            server = start_neo4j(
                workdir / "neo4j",
                heap=args.neo4j_heap,
                page_cache_mib=args.neo4j_page_cache,
                jvm_options=("-XX:+UseParallelGC",),
            )
            uri, user, password = server.uri, "", ""
        graph = {
            "default": {
                "BACKEND": "lineage.graph.bolt.BoltGraphBackend",
                "URI": uri,
                "USER": user,
                "PASSWORD": password,
            }
        }
        try:
            with override_settings(LINEAGE_GRAPH=graph):
                results.append(("bolt", "rebuild_graph", timed(GraphProjection().rebuild, 1)))
                bolt_rows = measure("bolt")
                assert bolt_rows == sql_rows, "bolt and sql answer differently"
        finally:
            if server:
                server.stop()
    depth = max(r["depth"] for r in sql_rows)
    print(
        f"\nImpact benchmark, synthetic graph ({machine()}): {args.graph_nodes} nodes, "
        f"{edges} edges; root {expected} descendants, max depth {depth}\n"
    )
    print(
        "| nodes | edges | database | graph backend | call | runs | median ms | min ms | max ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for graph, name, times in results:
        print(
            f"| {args.graph_nodes} | {edges} | {database} | {graph} | {name} | {len(times)} | "
            f"{median(times) * 1000:.0f} | {min(times) * 1000:.0f} | {max(times) * 1000:.0f} |"
        )


def main() -> None:
    """Harvest the generated project, then time impact analysis; prints a table."""
    parser = argparse.ArgumentParser(description="Benchmark impact analysis.")
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL URL (db name must contain 'bench')")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="use the database bench_harvest.py left (same --workdir/--models), or the "
        "graph a previous --graph-nodes run left",
    )
    parser.add_argument("--graph-nodes", type=int, help="synthetic graph of N nodes, ~3N edges")
    parser.add_argument("--neo4j", action="store_true", help="also time the bolt backend")
    parser.add_argument("--neo4j-heap", default="2g", help="JVM -Xmx of the Neo4j launcher")
    parser.add_argument("--neo4j-page-cache", type=int, default=1024, help="MiB")
    args = parser.parse_args()
    if args.graph_nodes:
        graph_main(args)
        return
    workdir = Path(args.workdir)
    target = ensure_target(args.models, workdir, args.seed)
    manifest = json.loads((target / "manifest.json").read_text())
    root, expected = busiest_node(manifest)
    if expected < MIN_DESCENDANTS:
        print(
            f"note: the busiest node has only {expected} descendants (< {MIN_DESCENDANTS}); "
            "use more models",
            file=sys.stderr,
        )
    fresh_database(args.database_url, workdir, keep=args.reuse_database)
    from catalog.models import Asset

    if not Asset.objects.filter(urn=urn_of(manifest, root)).exists():
        started = time.perf_counter()
        run = harvest_dbt(target)
        seconds = time.perf_counter() - started
        print(f"harvested {args.models} models in {seconds:.1f} s ({run.status})", file=sys.stderr)

    from django.conf import settings
    from django.test import Client

    from lineage import queries

    urn = urn_of(manifest, root)
    rows = queries.impact(urn)
    assert len(rows) == expected, f"impact found {len(rows)}, manifest says {expected}"
    client = Client()

    def api():
        response = client.get("/api/v1/impact", {"urn": urn})
        assert response.status_code == 200, response.content[:300]
        return response

    depth = max(r["depth"] for r in rows)
    query_times = timed(lambda: queries.impact(urn), args.runs)
    api_times = timed(api, args.runs)
    backend = "postgresql" if args.database_url else "sqlite"
    graph = settings.LINEAGE_GRAPH["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"\nImpact benchmark ({machine()}); root {root}: {len(rows)} descendants, "
        f"max depth {depth}\n"
    )
    print("| models | database | graph backend | call | runs | median ms | min ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, times in (("lineage.queries.impact", query_times), ("GET /api/v1/impact", api_times)):
        print(
            f"| {args.models} | {backend} | {graph} | {name} | {args.runs} | "
            f"{median(times) * 1000:.0f} | {min(times) * 1000:.0f} | "
            f"{max(times) * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
