"""What the Bolt backend adds on top of the graph contract, on a real Neo4j 5.26 server.

Uniqueness constraints, traversal in a bounded number of round trips, job edges read
through an index, atomic rebuilds (a half-built generation is invisible; the projection
cursor moves), and the same answers as the ``sql`` backend on a generated graph and on
the whole quickstart catalog.
"""

import io
import random

import pytest
from django.core.management import call_command
from django.test import override_settings
from neo4j.exceptions import ConstraintError

from catalog.models import Asset, OutboxEvent, ProjectionCursor
from catalog.urns import job_urn
from lineage import queries
from lineage.graph import get_graph_backend
from lineage.graph.bolt import BoltGraphBackend
from lineage.graph.projection import GraphProjection
from lineage.models import FieldLineageEdge, LineageEdge
from tests.lineage.test_graph_contract import (
    EDGES,
    JOB_EDGES,
    NS,
    PLUS_G,
    GraphFixtures,
    bolt_settings,
    urn,
)

SQL = {"default": {"BACKEND": "lineage.graph.sql.SQLGraphBackend"}}


class CountingRuns:
    """Counts the Cypher statements a backend sends (wraps its ``_run``)."""

    def __init__(self, backend: BoltGraphBackend, monkeypatch) -> None:
        self.queries: list[str] = []
        original = backend._run

        def run(query, **params):
            self.queries.append(query)
            return original(query, **params)

        monkeypatch.setattr(backend, "_run", run)

    def reset(self) -> int:
        count, self.queries = len(self.queries), []
        return count


def answers(urns: list[str], fields: bool = True) -> dict:
    """Every lineage question of the API for each of ``urns``, on the current backend."""
    out = {}
    for u in urns:
        out[u, "impact"] = queries.impact(u)
        out[u, "impact2"] = queries.impact(u, depth=2)
        out[u, "both"] = queries.asset_lineage(u, "both", None)
        out[u, "up2"] = queries.asset_lineage(u, "upstream", 2)
        out[u, "down1"] = queries.asset_lineage(u, "downstream", 1)
        if fields and not u.startswith("urn:mc:job:"):
            for name in Asset.objects.get(urn=u).fields.values_list("name", flat=True):
                out[u, name] = queries.column_lineage(u, name, "both", None)
                out[u, name, 1] = queries.column_lineage(u, name, "upstream", 1)
    return out


class TestNeo4jBackend(GraphFixtures):
    """Bolt-specific behaviour."""

    @pytest.fixture
    def graph_settings(self, neo4j_server) -> dict:
        return bolt_settings(neo4j_server)

    def test_ids_are_unique_per_generation(self, make_source, _backend):
        self.harvest(make_source, EDGES)
        names = {row[0] for row in _backend._run("SHOW CONSTRAINTS YIELD name RETURN name")}
        assert {"mesh_asset_id", "mesh_field_id", "mesh_graph_key"} <= names
        gen = _backend.current_generation()
        a = Asset.objects.get(urn=urn("a")).id
        with pytest.raises(ConstraintError):
            _backend._run("CREATE (:Asset {g: $gen, id: $id})", gen=gen, id=a)

    def test_traversal_takes_a_bounded_number_of_round_trips(
        self, make_source, _backend, monkeypatch
    ):
        chain = [(f"n{i}", f"n{i + 1}") for i in range(40)]
        self.harvest(make_source, chain, jobs={"j": [("n0", "m0"), ("n1", "m0")]})
        runs = CountingRuns(_backend, monkeypatch)
        assert len(queries.impact(urn("n0"))) == 41
        assert runs.reset() == 1  # 41 levels, one query
        assert len(queries.asset_lineage(urn("n20"), "both", None)["nodes"]) == 41
        assert runs.reset() == 2  # one per direction
        assert len(queries.column_lineage(urn("n40"), "v", "upstream", None)["nodes"]) == 41
        assert runs.reset() == 1
        assert [r["name"] for r in queries.impact(job_urn(NS, "j"))] == ["m0"]
        assert runs.reset() <= 2  # the job's own edges, then everything downstream

    def test_job_edges_and_traversal_use_indexes(self, make_source, _backend):
        self.harvest(make_source, PLUS_G, jobs=JOB_EDGES)
        plans = []

        def profile(query, **params):
            with _backend.driver.session(database=_backend.database) as session:
                result = session.run("PROFILE " + query, key="current", **params)
                result.consume()
                plans.append(_operators(result.consume().profile))
            return []

        _backend._run = profile  # capture plans instead of rows
        list(_backend.job_edges([Asset.objects.get(urn=job_urn(NS, "j")).id]))
        _backend._subgraph(
            "Asset", "FEEDS", "job", [Asset.objects.get(urn=urn("a")).id], "downstream", None
        )
        job_plan, walk_plan = plans
        assert any("RelationshipIndexSeek" in op for op in job_plan), job_plan
        assert not any("Scan" in op for op in job_plan), job_plan
        assert any(op.startswith("VarLengthExpand(Pruning") for op in walk_plan), walk_plan
        assert not any("Scan" in op for op in walk_plan), walk_plan

    def test_rebuild_switches_generation_and_moves_cursor(self, make_source, _backend):
        self.harvest(make_source, EDGES)
        before = queries.impact(urn("a"))
        old = _backend.current_generation()
        # an interrupted rebuild left a half-built next generation: readers never see it
        a, e = (Asset.objects.get(urn=urn(n)).id for n in "ae")
        _backend._run(
            "CREATE (:Asset {g: $g, id: $a})-[:FEEDS {job: 0}]->(:Asset {g: $g, id: $e})",
            g=old + 1,
            a=a,
            e=e,
        )
        assert queries.impact(urn("a")) == before
        OutboxEvent.objects.create(topic="lineage", key=urn("a"))
        last = OutboxEvent.objects.order_by("-id").first().id
        assert GraphProjection().rebuild() == len(EDGES)
        assert _backend.current_generation() == old + 1
        assert queries.impact(urn("a")) == before  # the leftover was dropped, not kept
        gens = _backend._run("MATCH (n) WHERE n:Asset OR n:Field RETURN DISTINCT n.g")
        assert gens == [[old + 1]]
        assert ProjectionCursor.objects.get(name="graph").position == last
        call_command("rebuild_graph", verbosity=0)
        assert _backend.current_generation() == old + 2
        assert queries.impact(urn("a")) == before

    def test_same_answers_as_sql_on_a_generated_graph(self, make_source):
        rng = random.Random(12)
        names = [f"t{i:03d}" for i in range(120)]
        edges = set()
        for i, name in enumerate(names[1:], start=1):
            for up in rng.sample(names[:i], min(i, rng.randint(1, 3))):
                edges.add((up, name))
        edges |= {("t100", "t050"), ("t050", "t020")}  # cycles
        jobs = {
            f"job{k}": [(rng.choice(names[:60]), rng.choice(names[60:])) for _ in range(4)]
            for k in range(6)
        }
        self.harvest(make_source, sorted(edges), jobs=jobs)
        probe = [urn(n) for n in names[::7]] + [job_urn(NS, j) for j in jobs]
        on_bolt = answers(probe)
        with override_settings(LINEAGE_GRAPH=SQL):
            on_sql = answers(probe)
        assert on_bolt == on_sql
        assert len(on_bolt[urn("t000"), "impact"]) > 50

    def test_quickstart_catalog_loads_and_answers_as_sql(self, samples, _backend):
        call_command("quickstart", "--no-serve", stdout=io.StringIO())
        assert LineageEdge.objects.count() > 20 and FieldLineageEdge.objects.count() > 20
        live = LineageEdge.objects.filter(upstream__removed=False, downstream__removed=False)
        assert GraphProjection().rebuild() == len(
            set(live.values_list("upstream_id", "downstream_id", "job_id"))
        )
        involved = set(LineageEdge.objects.values_list("upstream__urn", flat=True))
        involved |= set(LineageEdge.objects.values_list("downstream__urn", flat=True))
        involved |= set(LineageEdge.objects.exclude(job=None).values_list("job__urn", flat=True))
        probe = sorted(involved)
        on_bolt = answers(probe)
        with override_settings(LINEAGE_GRAPH=SQL):
            on_sql = answers(probe)
        assert on_bolt == on_sql
        assert any(on_bolt[u, "impact"] for u in probe)


def _operators(plan) -> list[str]:
    """Operator names of a PROFILE plan tree, depth first."""
    ops = [plan["operatorType"]]
    for child in plan.get("children", []):
        ops.extend(_operators(child))
    return ops


def test_backend_shares_one_driver_per_process(neo4j_server):
    settings = bolt_settings(neo4j_server)
    with override_settings(LINEAGE_GRAPH=settings):
        first = get_graph_backend()
        second = BoltGraphBackend(
            neo4j_server["uri"], neo4j_server["user"], neo4j_server["password"]
        )
        assert first.driver is second.driver
