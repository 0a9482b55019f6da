"""Not a benchmark: writes a synthetic lineage graph straight into the SQL database.

``N`` dataset assets ``t0 .. t<N-1>`` (URN ``urn:mc:dataset:bench://graph/t<i>``) and about
``3 N`` table edges, for the graph benchmarks of ``bench_impact.py --graph-nodes N``.
The nodes fall into independent clusters of ``cluster`` nodes (12,000 by default; the
last one may be smaller); inside a cluster, each node after the first three has three
distinct upstreams drawn uniformly from the nodes before it (a random recursive DAG:
early nodes become hubs, depths stay logarithmic), so the first node of every cluster
has exactly ``cluster - 1`` descendants whatever ``N``. Deterministic for a seed. One
edge in ten goes through one of ``N / 1000`` job assets (named ``job<j>``).

Rows are written with Django's ``bulk_create`` (no harvest, no outbox events), in one
transaction per 50,000 rows, then the database's statistics are refreshed (``ANALYZE``).
"""

import random
import time
from collections.abc import Iterator

NS = "bench://graph"
CLUSTER = 12_000
UPSTREAMS = 3
CHUNK = 50_000


def node_urn(i: int) -> str:
    """URN of generated node ``i``."""
    return f"urn:mc:dataset:{NS}/t{i}"


def edges(n: int, cluster: int = CLUSTER, seed: int = 7) -> Iterator[tuple[int, int]]:
    """``(upstream index, downstream index)`` pairs of the generated graph, in order."""
    rng = random.Random(seed)
    for start in range(0, n, cluster):
        size = min(cluster, n - start)
        for k in range(1, size):
            for up in rng.sample(range(k), min(k, UPSTREAMS)):
                yield start + up, start + k


def generate(n: int, cluster: int = CLUSTER, seed: int = 7, log=print) -> dict:
    """Write the graph into the configured database (Django set up, migrated, empty of
    these URNs). Returns ``{"nodes", "edges", "jobs", "seconds"}``."""
    from django.db import transaction

    from catalog.models import Asset
    from harvesters.models import Source
    from lineage.models import LineageEdge

    started = time.perf_counter()
    source, _ = Source.objects.get_or_create(
        name="bench-graph", defaults={"kind": "openlineage", "config": {}}
    )
    jobs = max(1, n // 1000)
    rows = [
        Asset(
            urn=node_urn(i),
            namespace=NS,
            name=f"t{i}",
            qualified_name=f"t{i}",
            platform="bench",
        )
        for i in range(n)
    ] + [
        Asset(
            urn=f"urn:mc:job:{NS}/job{j}",
            kind="job",
            type="job",
            namespace=NS,
            name=f"job{j}",
            qualified_name=f"job{j}",
            platform="bench",
        )
        for j in range(jobs)
    ]
    for s in range(0, len(rows), CHUNK):
        with transaction.atomic():
            Asset.objects.bulk_create(rows[s : s + CHUNK], batch_size=5000)
    del rows
    ids = dict(Asset.objects.filter(namespace=NS).values_list("urn", "id"))
    node_ids = [ids[node_urn(i)] for i in range(n)]
    job_ids = [ids[f"urn:mc:job:{NS}/job{j}"] for j in range(jobs)]
    log(f"  {n} nodes, {jobs} jobs written in {time.perf_counter() - started:.1f} s")
    rng = random.Random(seed + 1)
    batch, count = [], 0

    def flush():
        with transaction.atomic():
            LineageEdge.objects.bulk_create(batch, batch_size=5000)

    for u, d in edges(n, cluster, seed):
        job = job_ids[rng.randrange(jobs)] if rng.random() < 0.1 else None
        batch.append(
            LineageEdge(
                key=f"bench:{u}:{d}",
                upstream_id=node_ids[u],
                downstream_id=node_ids[d],
                job_id=job,
                origin=source,
            )
        )
        if len(batch) >= CHUNK:
            flush()
            count += len(batch)
            batch = []
    if batch:
        flush()
        count += len(batch)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give later
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    log(f"  {count} edges written and analyzed; graph generated in {seconds:.1f} s")
    return {"nodes": n, "edges": count, "jobs": jobs, "seconds": seconds}
