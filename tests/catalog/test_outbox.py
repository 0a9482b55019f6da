"""The transactional outbox: a projection that is down never loses a write.

The graph store here is a real Neo4j (Bolt) that is not running when the harvest
commits: the SQL system of record takes the write, the graph projection keeps its
cursor and the error, and once the server is up the pending events are applied and the
graph answers as if it had never been away.
"""

import pytest
from django.test import override_settings

from catalog.models import OutboxEvent, ProjectionCursor
from catalog.outbox import process_outbox
from harvesters import registry
from harvesters.runner import run_harvest
from lineage import queries
from lineage.graph.bolt import close_shared_driver
from lineage.models import LineageEdge
from tests.lineage.test_graph_contract import EDGES, urn
from tests.neo4j_server import free_port, start_neo4j

pytestmark = pytest.mark.django_db


def test_down_graph_store_keeps_events_and_catches_up(make_source, monkeypatch, tmp_path):
    monkeypatch.setitem(
        registry.HARVESTERS, "edges", "tests.lineage.test_graph_contract.EdgesHarvester"
    )
    bolt_port = free_port()
    uri = f"bolt://127.0.0.1:{bolt_port}"  # nothing listens there yet
    graph = {"default": {"BACKEND": "lineage.graph.bolt.BoltGraphBackend", "URI": uri}}
    with override_settings(LINEAGE_GRAPH=graph):
        source = make_source("g", "edges", {"edges": [list(e) for e in EDGES]})
        run = run_harvest(source)
        assert run.status == "succeeded", run.errors
        assert LineageEdge.objects.count() == len(EDGES)  # the system of record has it all

        assert process_outbox(only="graph") == {"graph": 0}
        cursor = ProjectionCursor.objects.get(name="graph")
        assert cursor.last_error, "the failure is recorded on the projection's cursor"
        pending = OutboxEvent.objects.filter(id__gt=cursor.position).count()
        assert pending > 0, "the events wait for the graph store"
        assert process_outbox(only="graph") == {"graph": 0}  # still down: still kept

        try:
            server = start_neo4j(tmp_path, port=bolt_port)
        except RuntimeError as exc:
            pytest.fail(f"the Neo4j test server could not be started: {exc}")
        try:
            assert process_outbox(only="graph") == {"graph": pending}
            cursor.refresh_from_db()
            assert cursor.last_error == ""
            rows = queries.impact(urn("a"))
            assert [(r["name"], r["depth"]) for r in rows] == [
                ("b", 1),
                ("c", 1),
                ("d", 2),
                ("e", 3),
            ]
        finally:
            close_shared_driver(uri)
            server.stop()


def test_down_search_cluster_keeps_events_and_catches_up(
    make_source, opensearch_server, tmp_path, django_capture_on_commit_callbacks
):
    """The search projection on OpenSearch: harvest while the cluster is unreachable (a
    dead loopback port), the events wait on the cursor; pointed at the live cluster, the
    next ``process_outbox`` indexes them and search answers."""
    import sqlite3
    import uuid

    from catalog.search import get_search_backend
    from catalog.search.base import SearchQuery
    from tests.opensearch_server import free_port

    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        for table in ("customers", "orders", "returns"):
            conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, note TEXT)")
    index = f"mesh-test-outbox-{uuid.uuid4().hex[:8]}"
    dead = {
        "BACKEND": "catalog.search.opensearch.OpenSearchBackend",
        "URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "INDEX": index,
        "TIMEOUT": 2,
    }
    live = {**dead, "URL": opensearch_server, "TIMEOUT": 60}  # creating an index may be slow
    with override_settings(MESH_SEARCH={"default": dead}):
        source = make_source("shop", "sql", {"url": f"sqlite:///{path}"})
        with django_capture_on_commit_callbacks(execute=True):  # processing fails quietly
            run = run_harvest(source)
        assert run.status == "succeeded", run.errors
        cursor = ProjectionCursor.objects.get(name="search")
        assert "ConnectionError" in cursor.last_error, cursor.last_error
        pending = OutboxEvent.objects.filter(id__gt=cursor.position).count()
        assert pending > 0, "the events wait for the search cluster"
        assert process_outbox(only="search") == {"search": 0}  # still down: still kept
    with override_settings(MESH_SEARCH={"default": live}):
        try:
            applied = process_outbox(only="search")
            cursor.refresh_from_db()
            assert applied == {"search": pending}, cursor.last_error
            assert cursor.last_error == ""
            backend = get_search_backend()
            assert backend.count() == 3
            assert [h.name for h in backend.search(SearchQuery("returns")).hits] == ["returns"]
        finally:
            get_search_backend().drop()
