"""One contract every lineage graph backend must pass: SQL and Neo4j (Bolt).

Neo4j is a real Neo4j Community 5.26 server started for the session by the
``neo4j_server`` fixture (``tests/neo4j_server.py``), or the one ``NEO4J_URI`` names; if
it cannot start, these tests fail. ``tests/lineage/test_graph_neo4j.py`` adds what is specific to
the Bolt backend (schema, generations, round trips, parity on real and generated graphs).
"""

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from catalog.models import Asset
from catalog.outbox import process_outbox
from catalog.urns import dataset_urn, job_urn
from harvesters import registry
from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import (
    DatasetRecord,
    FieldLineageRecord,
    FieldRecord,
    JobRecord,
    LineageRecord,
)
from harvesters.runner import run_harvest
from lineage import queries
from lineage.graph import get_graph_backend
from lineage.graph.base import NOW, EdgeView, ProjectedGraphBackend

NS = "test://g"


def urn(name: str) -> str:
    return dataset_urn(NS, name)


class EdgesConfig(HarvesterConfig):
    """``edges``: [[upstream, downstream], ...]; every name becomes a dataset with a
    column ``v``, and every edge also links column ``v`` to column ``v``. ``jobs``:
    {job name: [[input, output], ...]}, edges carried by a job (as OpenLineage and dbt
    report them: each input feeds each output through the job)."""

    edges: list[tuple[str, str]]
    jobs: dict[str, list[tuple[str, str]]] = {}
    #: more columns per dataset (after ``v``); when given, schemas are authoritative
    columns: dict[str, list[str]] = {}
    #: more column edges: [[upstream, column, downstream, column], ...]
    column_edges: list[tuple[str, str, str, str]] = []


class EdgesHarvester(Harvester):
    """Reports the datasets and edges of its config."""

    kind = "edges"
    config_class = EdgesConfig

    def records(self):
        job_edges = [e for edges in self.config.jobs.values() for e in edges]
        names = sorted({n for edge in [*self.config.edges, *job_edges] for n in edge})
        for name in names:
            yield DatasetRecord(
                urn=urn(name),
                namespace=NS,
                qualified_name=name,
                name=name,
                platform="test",
                fields=[
                    FieldRecord("v", "integer"),
                    *(FieldRecord(c, "integer") for c in self.config.columns.get(name, [])),
                ],
                fields_authoritative=bool(self.config.columns),
            )
        for up, down in self.config.edges:
            yield LineageRecord(urn(up), urn(down))
            yield FieldLineageRecord(urn(up), "v", urn(down), "v")
        for up, up_col, down, down_col in self.config.column_edges:
            yield FieldLineageRecord(urn(up), up_col, urn(down), down_col)
        for job, edges in self.config.jobs.items():
            yield JobRecord(
                urn=job_urn(NS, job), namespace=NS, qualified_name=job, name=job, platform="test"
            )
            for up, down in edges:
                yield LineageRecord(urn(up), urn(down), job_urn(NS, job))


# a → b → d, a → c → d, d → e, x → b   (a diamond with a side input)
EDGES = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("x", "b")]
# job j reads d and x and writes g and h; then g → k
JOB_EDGES = {"j": [("d", "g"), ("d", "h"), ("x", "g"), ("x", "h")]}
PLUS_G = [*EDGES, ("g", "k")]


class GraphFixtures:
    """Mixin: the configured backend (cleared) per test and a ``harvest`` helper;
    subclasses override the ``graph_settings`` fixture (a LINEAGE_GRAPH dict)."""

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
            if isinstance(backend, ProjectedGraphBackend):
                backend.clear()
            yield backend

    def harvest(self, make_source, edges, name="g", jobs=None, columns=None, column_edges=()):
        from catalog.models import Source

        source = Source.objects.filter(name=name).first() or make_source(name, "edges", {})
        source.config = {
            "edges": [list(e) for e in edges],
            "jobs": {j: [list(e) for e in es] for j, es in (jobs or {}).items()},
            "columns": columns or {},
            "column_edges": [list(e) for e in column_edges],
        }
        source.save()
        run = run_harvest(source)
        assert run.status == "succeeded", run.errors
        process_outbox(only="graph")
        return run


class GraphContract(GraphFixtures):
    """The contract: every backend class of the suite subclasses this."""

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

    def test_lineage_rooted_at_a_job(self, make_source):
        self.harvest(make_source, PLUS_G, jobs=JOB_EDGES)
        j = job_urn(NS, "j")
        graph = queries.asset_lineage(j, "both", None)
        assert {(n["name"], n["depth"], n["direction"]) for n in graph["nodes"]} == {
            ("j", 0, "root"),
            ("d", 1, "upstream"),
            ("x", 1, "upstream"),
            ("b", 2, "upstream"),
            ("c", 2, "upstream"),
            ("a", 3, "upstream"),
            ("g", 1, "downstream"),
            ("h", 1, "downstream"),
            ("k", 2, "downstream"),
        }
        edges = {(e["source"], e["target"], e["job"]) for e in graph["edges"]}
        assert {e for e in edges if j in e[:2]} == {
            (urn("d"), j, None),
            (urn("x"), j, None),
            (j, urn("g"), None),
            (j, urn("h"), None),
        }
        assert not any(e[2] == j for e in edges)  # drawn through the job node instead
        assert (urn("g"), urn("k"), None) in edges and (urn("x"), urn("b"), None) in edges
        one = queries.asset_lineage(j, "upstream", 1)
        assert {n["name"] for n in one["nodes"]} == {"j", "d", "x"}
        # a dataset root still sees the job's edges as dataset edges through the job
        down = queries.asset_lineage(urn("x"), "downstream", 1)
        assert {(e["target"], e["job"]) for e in down["edges"]} == {
            (urn("b"), None),
            (urn("g"), j),
            (urn("h"), j),
        }

    def test_impact_of_a_job_is_its_outputs_and_their_impact(self, make_source):
        self.harvest(make_source, PLUS_G, jobs=JOB_EDGES)
        rows = queries.impact(job_urn(NS, "j"))
        assert [(r["name"], r["depth"]) for r in rows] == [("g", 1), ("h", 1), ("k", 2)]
        assert rows[-1]["path"] == [job_urn(NS, "j"), urn("g"), urn("k")]
        assert [r["name"] for r in queries.impact(job_urn(NS, "j"), depth=1)] == ["g", "h"]

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

    def test_restored_asset_gets_its_edges_back(self, make_source, settings):
        settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
        self.harvest(make_source, EDGES)
        self.harvest(make_source, [e for e in EDGES if "x" not in e])
        assert queries.impact(urn("x")) == []
        assert "x.v" not in {
            n["name"] for n in queries.column_lineage(urn("b"), "v", "upstream", None)["nodes"]
        }
        self.harvest(make_source, EDGES)  # x is reported again
        assert not Asset.objects.get(urn=urn("x")).removed
        assert [(r["name"], r["depth"]) for r in queries.impact(urn("x"))] == [
            ("b", 1),
            ("d", 2),
            ("e", 3),
        ]
        up = queries.column_lineage(urn("e"), "v", "upstream", None)
        assert {n["name"] for n in up["nodes"]} == {"e.v", "d.v", "b.v", "c.v", "a.v", "x.v"}

    def test_rebuild_gives_the_same_answers(self, make_source, _backend):
        self.harvest(make_source, EDGES)
        before = queries.impact(urn("a"))
        if isinstance(_backend, ProjectedGraphBackend):
            _backend.clear()
            assert queries.impact(urn("a")) == []
            assert _backend.rebuild() == len(EDGES)
        assert queries.impact(urn("a")) == before


def staff_user():
    from django.contrib.auth.models import User

    return User.objects.get_or_create(username="root", defaults={"is_staff": True})[0]


class HistoryContract(GraphFixtures):
    """Manual, hidden and historical edges (issue 13): both backends give the same
    answers, which these exact expectations pin."""

    def test_manual_edge_is_followed_and_survives_harvests(self, make_source):
        from lineage import services

        self.harvest(make_source, EDGES)
        with pytest.raises(services.LineageEditError):
            services.add_edge(staff_user(), urn("e"), urn("nope"), "x")
        self.harvest(make_source, [*EDGES, ("m", "n")])
        edge = services.add_edge(staff_user(), urn("e"), urn("m"), "found in the cron job")
        process_outbox(only="graph")
        self.harvest(make_source, [*EDGES, ("m", "n")])  # the source never reports e → m
        rows = queries.impact(urn("d"))
        assert [(r["name"], r["depth"]) for r in rows] == [("e", 1), ("m", 2), ("n", 3)]
        graph = queries.asset_lineage(urn("m"), "upstream", 1)
        (manual,) = [e for e in graph["edges"] if e["source"] == urn("e")]
        assert manual["manual"] and manual["sources"] == ["manual"]
        assert manual["assertions"][0]["author"] == "root"
        assert manual["assertions"][0]["note"] == "found in the cron job"
        services.remove_edge(staff_user(), edge)
        process_outbox(only="graph")
        assert [r["name"] for r in queries.impact(urn("d"))] == ["e"]
        # ended, not deleted: the past still has it
        past = EdgeView(as_of=edge.valid_from + timedelta(microseconds=1))
        assert [r["name"] for r in queries.impact(urn("d"), view=past)] == ["e", "m", "n"]

    def test_hidden_edge_is_left_out_and_stays_hidden(self, make_source, settings):
        from lineage import services
        from lineage.models import FieldLineageEdge, LineageEdge

        settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
        self.harvest(make_source, EDGES)
        edge = LineageEdge.objects.get(upstream__urn=urn("d"), downstream__urn=urn("e"))
        services.hide_edge(staff_user(), edge, "d only reads e's audit columns")
        column = FieldLineageEdge.objects.get(upstream__asset__urn=urn("b"))
        services.hide_edge(staff_user(), column, "not a real dependency")
        process_outbox(only="graph")
        for _ in range(2):  # the hiding survives a re-harvest ...
            assert queries.impact(urn("d")) == []
            shown = queries.impact(urn("d"), view=EdgeView(hidden=True))
            assert [r["name"] for r in shown] == ["e"]
            names = {
                n["name"] for n in queries.column_lineage(urn("d"), "v", "upstream", None)["nodes"]
            }
            assert names == {"d.v", "c.v", "a.v"}
            self.harvest(make_source, EDGES)
        # ... and a gap: d → e disappears, then comes back as a new row, still hidden
        self.harvest(make_source, [e for e in EDGES if e != ("d", "e")] + [("e", "f")])
        self.harvest(make_source, [*EDGES, ("e", "f")])
        assert queries.impact(urn("d")) == []
        graph = queries.asset_lineage(urn("d"), "downstream", 1, EdgeView(hidden=True))
        (hidden,) = graph["edges"]
        assert hidden["hidden"] and len(hidden["assertions"]) == 1
        assert hidden["assertions"][0]["hidden_reason"] == "d only reads e's audit columns"
        with pytest.raises(services.LineageEditError):
            services.remove_edge(staff_user(), edge)  # harvested: hide, not remove

    def test_as_of_answers_with_the_edges_valid_then(self, make_source, settings):
        from lineage.models import LineageEdge

        settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
        self.harvest(make_source, EDGES)
        first = timezone.now()
        time.sleep(0.01)
        # d → e goes away, e → f arrives
        self.harvest(make_source, [e for e in EDGES if e != ("d", "e")] + [("e", "f")])
        second = timezone.now()
        time.sleep(0.01)
        self.harvest(make_source, [*EDGES, ("e", "f")])  # d → e is back
        assert [r["name"] for r in queries.impact(urn("d"))] == ["e", "f"]
        then = EdgeView(as_of=first)
        assert [r["name"] for r in queries.impact(urn("d"), view=then)] == ["e"]
        assert queries.impact(urn("d"), view=EdgeView(as_of=second)) == []
        assert queries.impact(urn("e"), view=EdgeView(as_of=second))[0]["name"] == "f"
        old = queries.column_lineage(urn("e"), "v", "upstream", None, EdgeView(as_of=second))
        assert {n["name"] for n in old["nodes"]} == {"e.v"}
        before = timezone.now() - timedelta(days=1)
        assert queries.asset_lineage(urn("d"), "both", None, EdgeView(as_of=before))["edges"] == []
        # two rows for d → e: the ended one and the current one
        rows = LineageEdge.objects.filter(upstream__urn=urn("d"), downstream__urn=urn("e"))
        assert sorted(r.valid_to is None for r in rows) == [False, True]
        graph = queries.asset_lineage(urn("d"), "downstream", 1)
        (edge,) = graph["edges"]
        assert edge["sources"] == ["g"] and edge["first_seen"] and edge["last_seen"]

    def test_rebuild_keeps_history_and_hiding(self, make_source, _backend, settings):
        from lineage import services
        from lineage.models import LineageEdge

        settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
        self.harvest(make_source, EDGES)
        first = timezone.now()
        services.hide_edge(
            staff_user(),
            LineageEdge.objects.get(upstream__urn=urn("a"), downstream__urn=urn("b")),
            "r",
        )
        self.harvest(make_source, [e for e in EDGES if e != ("c", "d")])
        if isinstance(_backend, ProjectedGraphBackend):
            _backend.rebuild()
        assert [r["name"] for r in queries.impact(urn("a"))] == ["c"]
        assert [r["name"] for r in queries.impact(urn("a"), view=EdgeView(as_of=first))] == [
            "c",
            "d",
            "e",
        ]
        every = EdgeView(as_of=first, hidden=True)
        assert [r["name"] for r in queries.impact(urn("a"), view=every)] == ["b", "c", "d", "e"]

    def test_dropped_column_keeps_its_edges_for_as_of(self, make_source, settings):
        """A column an authoritative harvest drops is soft-deleted and its column edges
        ended: answered ``as_of`` before the drop, not now; a column that comes back is
        live again with its edge."""
        from django.http import Http404

        from catalog.models import Field
        from lineage.models import FieldLineageEdge

        settings.MESH_STALE_REMOVAL_MAX_SHARE = 0.5
        wide = {"a": ["w"], "b": ["w"]}
        w_edge = [("a", "w", "b", "w")]

        def names(root, column, view=None, direction="upstream"):
            graph = queries.column_lineage(urn(root), column, direction, None, view or NOW)
            return sorted(n["name"] for n in graph["nodes"])

        self.harvest(make_source, [("a", "b")], columns=wide, column_edges=w_edge)
        first = timezone.now()
        time.sleep(0.01)
        self.harvest(make_source, [("a", "b")], columns={"a": [], "b": ["w"]})  # a drops w
        second = timezone.now()
        time.sleep(0.01)
        assert names("b", "w") == ["b.w"]
        with pytest.raises(Http404):
            names("a", "w")
        assert names("b", "w", EdgeView(as_of=first)) == ["a.w", "b.w"]
        assert names("a", "w", EdgeView(as_of=first), "downstream") == ["a.w", "b.w"]
        assert names("b", "v") == ["a.v", "b.v"]  # other columns untouched
        assert not Field.objects.filter(asset__urn=urn("a"), name="w").exists()
        (row,) = FieldLineageEdge.objects.filter(upstream__name="w")
        assert row.valid_to is not None and row.upstream.removed_at is not None
        # w comes back: live again, with its edge; the gap stays in the history
        self.harvest(make_source, [("a", "b")], columns=wide, column_edges=w_edge)
        assert names("b", "w") == ["a.w", "b.w"]
        assert names("b", "w", EdgeView(as_of=second)) == ["b.w"]
        assert names("b", "w", EdgeView(as_of=first)) == ["a.w", "b.w"]
        assert Field.objects.filter(asset__urn=urn("a"), name="w").count() == 1
        assert FieldLineageEdge.objects.filter(upstream__name="w").count() == 2


class TestSQLGraph(GraphContract, HistoryContract):
    """The embedded default: traversal over the SQL lineage tables."""

    @pytest.fixture
    def graph_settings(self) -> dict:
        return {"default": {"BACKEND": "lineage.graph.sql.SQLGraphBackend"}}

    def test_a_removed_asset_is_not_traversed_even_if_its_edges_are_current(self, make_source):
        # The traversal reads edges without joining the asset table and drops edges with
        # a removed end in one query per level: b removed (its edges left current, as a
        # push removal or a restore in progress can leave them) hides b and c behind it.
        self.harvest(make_source, [("a", "b"), ("b", "c"), ("a", "d")], jobs={"j": [("d", "e")]})
        Asset.objects.filter(urn=urn("b")).update(removed=True)
        assert [r["name"] for r in queries.impact(urn("a"))] == ["d", "e"]
        Asset.objects.filter(urn=urn("e")).update(removed=True)
        assert [r["name"] for r in queries.impact(urn("a"))] == ["d"]
        assert queries.impact(job_urn(NS, "j")) == []


def bolt_settings(server: dict) -> dict:
    """LINEAGE_GRAPH for the Bolt backend on ``server`` (the ``neo4j_server`` fixture)."""
    return {
        "default": {
            "BACKEND": "lineage.graph.bolt.BoltGraphBackend",
            "URI": server["uri"],
            "USER": server["user"],
            "PASSWORD": server["password"],
        }
    }


class TestNeo4jGraph(GraphContract, HistoryContract):
    """The Bolt backend against a real Neo4j Community 5.26 server."""

    @pytest.fixture
    def graph_settings(self, neo4j_server) -> dict:
        return bolt_settings(neo4j_server)
