"""The search backend contract: every backend of ``settings.MESH_SEARCH`` passes these.

Subclass :class:`SearchContract` and give ``backend_config(tmp_path)`` (the
``MESH_SEARCH["default"]`` dict); the OpenSearch subclass runs against a node the suite
starts (or ``OPENSEARCH_URL``) and fails when none can start.
"""

import os
import sqlite3
import uuid

import pytest

from catalog.search import get_search_backend
from catalog.search.base import SearchError, SearchQuery


def doc(name: str, **kw) -> dict:
    """A search document named ``name`` in the ``test`` namespace; ``kw`` overrides keys."""
    base = {
        "urn": f"urn:mc:dataset:test://db/{kw.get('qualified_name', name)}",
        "name": name,
        "qualified_name": f"db.main.{name}",
        "type": "table",
        "kind": "dataset",
        "platform": "postgres",
        "namespace": "test://db",
        "description": "",
        "field_names": [],
        "field_descriptions": [],
        "tags": [],
        "owners": [],
        "sources": ["wh"],
        "popularity": 0.0,
        "domain": [],
        "data_product": [],
    }
    base.update(kw)
    return base


CORPUS = [
    doc(
        "customers",
        field_names=["customer_id", "first_name"],
        tags=["pii"],
        owners=["ana@example.com"],
        description="One row per customer.",
    ),
    doc(
        "Customer",
        qualified_name="chinook.main.Customer",
        platform="sqlite",
        field_names=["CustomerId", "FirstName", "SupportRepId"],
        sources=["chinook"],
    ),
    doc("stg_customers", type="view", field_names=["customer_id"], tags=["staging"]),
    doc(
        "orders",
        field_names=["order_id", "customer_id", "amount"],
        owners=["bob@example.com"],
        description="Orders placed by customers.",
    ),
    doc(
        "payments",
        field_names=["payment_id", "order_id", "amount"],
        platform="duckdb",
        tags=["finance", "pii"],
        sources=["wh", "dbt"],
    ),
    doc(
        "InvoiceLine",
        qualified_name="chinook.main.InvoiceLine",
        platform="sqlite",
        field_names=["InvoiceLineId", "UnitPrice"],
        sources=["chinook"],
    ),
    doc(
        "daily_revenue",
        type="view",
        description="Revenue per day for the <finance> team",
        field_names=["day", "revenue"],
        owners=["ana@example.com"],
        domain=["sales"],
        data_product=["revenue-metrics"],
    ),
]


def names(result) -> list[str]:
    return [h.name for h in result.hits]


class SearchContract:
    """Behaviour every search backend must show."""

    def backend_config(self, tmp_path) -> dict:
        raise NotImplementedError

    @pytest.fixture
    def backend(self, settings, tmp_path):
        settings.MESH_SEARCH = {"default": self.backend_config(tmp_path)}
        backend = get_search_backend()
        backend.clear()
        return backend

    @pytest.fixture
    def corpus(self, backend):
        assert backend.index_documents(CORPUS) == len(CORPUS)
        return backend

    def test_index_count_and_reindex_replaces(self, corpus):
        assert corpus.count() == 7
        corpus.index_documents([doc("orders", description="Sales orders", field_names=["id"])])
        assert corpus.count() == 7
        assert "orders" in names(corpus.search(SearchQuery("sales")))
        assert "orders" not in names(corpus.search(SearchQuery("amount")))

    def test_reindex_last_document_together_with_new_ones(self, corpus):
        # the most recently indexed document is replaced in the same batch as new ones
        batch = [doc("daily_revenue", description="Sales per day"), doc("brand_new")]
        assert corpus.index_documents(batch) == 2
        assert corpus.count() == 8
        assert names(corpus.search(SearchQuery("sales per day"))) == ["daily_revenue"]
        assert names(corpus.search(SearchQuery("brand new"))) == ["brand_new"]
        assert corpus.search(SearchQuery("finance")).count == 1  # old description gone

    def test_exact_name_first_then_weights(self, corpus):
        result = corpus.search(SearchQuery("customers"))
        assert names(result)[0] == "customers"
        # name match > field-name match > description match
        ranked = names(result)
        assert ranked.index("stg_customers") < ranked.index("orders")
        result = corpus.search(SearchQuery("chinook.main.invoiceline"))
        assert names(result)[0] == "InvoiceLine" and result.hits[0].exact

    def test_field_names_outrank_description(self, backend):
        backend.index_documents(
            [
                doc("a", description="mentions amount here"),
                doc("b", field_names=["amount"]),
            ]
        )
        assert names(backend.search(SearchQuery("amount"))) == ["b", "a"]

    def test_camel_case_and_prefix(self, corpus):
        assert names(corpus.search(SearchQuery("invoice line"))) == ["InvoiceLine"]
        assert set(names(corpus.search(SearchQuery("paym")))) == {"payments"}

    def test_typos_are_corrected(self, corpus):
        for typo in ("custmer", "cusomers"):
            result = corpus.search(SearchQuery(typo))
            assert {"customers", "Customer"} <= set(names(result)[:3]), (typo, names(result))
            assert result.corrections[typo]
        assert corpus.search(SearchQuery("zzqxv")).count == 0

    def test_popularity_boosts_equal_matches(self, backend):
        backend.index_documents([doc("sales_a", popularity=0), doc("sales_b", popularity=500)])
        assert names(backend.search(SearchQuery("sales"))) == ["sales_b", "sales_a"]

    def test_equal_names_datasets_first_then_better_described(self, backend):
        """Without popularity, a shared exact name lists the documented, multi-source
        dataset first and the job that builds it after the datasets."""
        backend.index_documents(
            [
                doc(
                    "customers",
                    urn="urn:mc:job:dbt://p/customers",
                    kind="job",
                    type="job",
                    qualified_name="model.p.customers",
                    sources=["dbt"],
                ),
                doc("customers", qualified_name="public.customers", sources=["openlineage"]),
                doc(
                    "customers",
                    qualified_name="shop.main.customers",
                    sources=["wh", "dbt"],
                    description="One row per customer",
                    field_names=["customer_id"],
                ),
            ]
        )
        hits = backend.search(SearchQuery("customers")).hits
        assert [h.urn.rsplit("/", 1)[1] for h in hits] == [
            "shop.main.customers",
            "public.customers",
            "customers",
        ]

    def test_singular_and_plural_names_match_closely(self, backend):
        backend.index_documents(
            [
                doc("raw_customers"),
                doc("customers", description="x " * 50),
                doc("Customer"),
            ]
        )
        assert names(backend.search(SearchQuery("customer")))[:2] == ["Customer", "customers"]
        assert names(backend.search(SearchQuery("customers")))[:2] == ["customers", "Customer"]

    def test_facet_counts_and_filters(self, corpus):
        result = corpus.search(SearchQuery("customer"))
        assert result.count == 4  # customers, Customer, stg_customers, orders
        assert dict(result.facets["type"]) == {"table": 3, "view": 1}
        assert dict(result.facets["platform"]) == {"postgres": 3, "sqlite": 1}
        assert dict(result.facets["tag"]) == {"pii": 1, "staging": 1}
        assert dict(result.facets["owner"]) == {"ana@example.com": 1, "bob@example.com": 1}
        assert dict(result.facets["source"]) == {"wh": 3, "chinook": 1}
        filtered = corpus.search(SearchQuery("customer", filters={"platform": ["sqlite"]}))
        assert names(filtered) == ["Customer"]
        # a facet's own counts ignore its filter, so every checkbox keeps its count
        assert dict(filtered.facets["platform"]) == {"postgres": 3, "sqlite": 1}
        assert dict(filtered.facets["type"]) == {"table": 1}

    def test_multi_valued_filters_or_within_and_across(self, corpus):
        both = corpus.search(SearchQuery("", filters={"tag": ["pii", "staging"]}))
        assert sorted(names(both)) == ["customers", "payments", "stg_customers"]
        narrowed = corpus.search(SearchQuery("", filters={"tag": ["pii"], "platform": ["duckdb"]}))
        assert names(narrowed) == ["payments"]
        assert corpus.search(SearchQuery("", filters={"tag": ["nope"]})).count == 0

    def test_every_facet_filtered_counts_exact_and_other_hits(self, backend):
        facets = {"tags": ["gold"], "owners": ["ana"], "domain": ["sales"], "data_product": ["rev"]}
        backend.index_documents(
            [
                doc("revenue", **facets),
                doc("revenue_by_day", **facets),
                doc("revenue_by_week", **{**facets, "owners": ["bob"]}),
            ]
        )
        filters = {
            "type": ["table"],
            "platform": ["postgres"],
            "source": ["wh"],
            "owner": ["ana"],
            "tag": ["gold"],
            "domain": ["sales"],
            "data_product": ["rev"],
        }
        result = backend.search(SearchQuery("revenue", filters=filters))
        assert (result.count, names(result)) == (2, ["revenue", "revenue_by_day"])
        assert result.hits[0].exact
        assert dict(result.facets["owner"]) == {"ana": 2, "bob": 1}

    def test_browse_everything_with_facets(self, corpus):
        result = corpus.search(SearchQuery(""))
        assert result.count == 7
        assert dict(result.facets["platform"]) == {"postgres": 4, "sqlite": 2, "duckdb": 1}
        assert dict(result.facets["domain"]) == {"sales": 1}
        assert dict(result.facets["data_product"]) == {"revenue-metrics": 1}

    def test_highlights_name_the_field_and_escape_html(self, corpus):
        hit = corpus.search(SearchQuery("finance")).hits
        by_name = {h.name: h for h in hit}
        fields = {x["field"] for x in by_name["payments"].highlights}
        assert "tags" in fields
        desc = [x for x in by_name["daily_revenue"].highlights if x["field"] == "description"]
        assert desc[0]["snippet"] == "Revenue per day for the &lt;<mark>finance</mark>&gt; team"

    def test_paging(self, corpus):
        first = corpus.search(SearchQuery("", page=1, page_size=3))
        second = corpus.search(SearchQuery("", page=3, page_size=3))
        assert first.count == second.count == 7
        assert len(first.hits) == 3 and len(second.hits) == 1
        with pytest.raises(SearchError, match="page"):
            SearchQuery("", page=0)
        with pytest.raises(SearchError, match="unknown facet"):
            SearchQuery("", filters={"colour": ["red"]})

    def test_suggest_prefix(self, corpus):
        suggestions = corpus.suggest("cust", 5)
        assert [s["name"] for s in suggestions] == ["Customer", "customers", "stg_customers"]
        assert suggestions[0]["urn"].endswith("chinook.main.Customer")
        assert corpus.suggest("customers", 5)[0]["name"] == "customers"
        assert corpus.suggest("", 5) == []

    def test_delete(self, corpus):
        assert corpus.delete(["urn:mc:dataset:test://db/orders", "urn:mc:dataset:unknown"]) == 1
        assert corpus.count() == 6
        assert "orders" not in names(corpus.search(SearchQuery("amount")))
        assert dict(corpus.search(SearchQuery("")).facets["owner"]) == {"ana@example.com": 2}

    def test_rebuild_swaps_whole_index(self, corpus):
        assert corpus.rebuild(iter([doc("shipments"), doc("carriers")])) == 2
        assert corpus.count() == 2
        assert corpus.search(SearchQuery("customers")).count == 0
        assert names(corpus.search(SearchQuery("shipmnts"))) == ["shipments"]

    def test_outbox_sync_after_harvest(
        self, backend, make_source, tmp_path, django_capture_on_commit_callbacks
    ):
        from harvesters.runner import run_harvest

        path = tmp_path / "shop.sqlite"
        with sqlite3.connect(path) as conn:
            for table in ("customers", "orders", "items", "stores", "staff", "returns"):
                conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {table}_note TEXT)")
        source = make_source("shop", "sql", {"url": f"sqlite:///{path}"})
        with django_capture_on_commit_callbacks(execute=True):
            run = run_harvest(source)
        assert run.status == "succeeded", run.errors
        result = backend.search(SearchQuery("customers"))
        assert names(result)[0] == "customers"
        assert dict(result.facets["source"]) == {"shop": 1}
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE returns")
        with django_capture_on_commit_callbacks(execute=True):
            run = run_harvest(source)
        assert run.removed_count == 1
        assert backend.search(SearchQuery("returns")).count == 0
        assert backend.count() == 5

    def test_large_result_sets_count_facet_and_rank(self, backend):
        """Beyond a backend's caps, counts and facets may be estimated (then flagged);
        an exact name still comes first and filtered counts stay exact when small."""
        docs = [
            doc(
                f"widget_{i}",
                tags=["even"] if i % 2 == 0 else [],
                platform="duckdb" if i % 100 == 0 else "postgres",
                field_names=["widget_id"],
            )
            for i in range(7000)
        ]
        assert backend.index_documents(docs) == 7000
        result = backend.search(SearchQuery("widget"))
        assert len(result.hits) == 20
        if result.count_approximate:
            assert 6300 <= result.count <= 7700, result.count
        else:
            assert result.count == 7000
        platform = dict(result.facets["platform"])
        assert set(platform) == {"postgres", "duckdb"}
        if not result.facets_approximate:
            assert platform == {"postgres": 6930, "duckdb": 70}
        assert names(backend.search(SearchQuery("widget_4711")))[0] == "widget_4711"
        few = backend.search(SearchQuery("widget", filters={"platform": ["duckdb"]}))
        assert (few.count, few.count_approximate, len(few.hits)) == (70, False, 20)
        assert dict(few.facets["tag"]) == {"even": 70}
        browse = backend.search(SearchQuery("", filters={"tag": ["even"]}))
        assert (browse.count, browse.count_approximate) == (3500, False)
        both = backend.search(SearchQuery("", filters={"tag": ["even"], "platform": ["duckdb"]}))
        assert (both.count, both.count_approximate) == (70, False)
        assert sorted(names(both))[:2] == ["widget_0", "widget_100"]


class TestSQLiteFTSBackend(SearchContract):
    """The embedded default: SQLite FTS5 in its own file."""

    pytestmark = pytest.mark.django_db

    def backend_config(self, tmp_path) -> dict:
        return {
            "BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend",
            "PATH": str(tmp_path / "contract.sqlite3"),
        }

    def test_rebuild_keeps_old_index_readable_until_swap(self, corpus):
        def docs():
            # while the new generation is being written, searches see the old one
            assert corpus.search(SearchQuery("customers")).count > 0
            yield doc("shipments")

        corpus.rebuild(docs())
        assert corpus.search(SearchQuery("customers")).count == 0

    @pytest.mark.parametrize("count_cap", [1000, 30])
    def test_bounded_paths_for_common_terms(self, backend, monkeypatch, count_cap):
        """With a zero bm25 budget (as for very common words) and a small count cap, the
        cheap ranking paths still put exact names first, then name matches (shorter
        first), then other matches, and pages never repeat or skip a hit."""
        from catalog.search import sqlite_query

        monkeypatch.setattr(sqlite_query, "BM25_BUDGET", 0)
        monkeypatch.setattr(sqlite_query, "COUNT_CAP", count_cap)
        docs = [doc(f"gadget_part_{i}", field_names=["gadget_id"]) for i in range(40)]
        docs += [doc(f"thing_{i}", field_names=["gadget_id"]) for i in range(40)]
        docs += [doc("gadget"), doc("gadget_part")]
        backend.index_documents(docs)
        first = backend.search(SearchQuery("gadget_part", page_size=10))
        assert names(first)[0] == "gadget_part" and first.hits[0].exact
        assert first.count_approximate is (count_cap < 41)
        assert names(first)[1:] == sorted(names(first)[1:], key=len)
        hits = []
        for page in (1, 2, 3, 4, 5):
            hits += names(backend.search(SearchQuery("gadget", page=page, page_size=20)))
        assert len(hits) == len(set(hits)) == 82
        assert hits[0] == "gadget"
        assert all(h.startswith("gadget") for h in hits[:42])  # name matches first
        assert all(h.startswith("thing_") for h in hits[42:])  # field matches after

    def test_failed_rebuild_leaves_index_untouched(self, corpus):
        def broken():
            yield doc("shipments")
            raise RuntimeError("database went away")

        with pytest.raises(RuntimeError):
            corpus.rebuild(broken())
        assert corpus.count() == 7


class TestOpenSearchBackend(SearchContract):
    """A real OpenSearch 2.19 node (``tests/opensearch_server.py``; ``OPENSEARCH_URL``
    to use another server), one alias per test (``mesh-test-<pid>-<random>``), dropped
    after the test."""

    pytestmark = pytest.mark.django_db

    @pytest.fixture(autouse=True)
    def _server(self, opensearch_server):
        self.url = opensearch_server
        self.index = f"mesh-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        yield
        from catalog.search.opensearch import OpenSearchBackend

        OpenSearchBackend(url=self.url, index=self.index).drop()

    def backend_config(self, tmp_path) -> dict:
        return {
            "BACKEND": "catalog.search.opensearch.OpenSearchBackend",
            "URL": self.url,
            "INDEX": self.index,
            "TIMEOUT": 60,  # a loaded CI machine may take seconds to create an index
        }

    def test_rebuild_keeps_old_index_readable_until_swap(self, corpus):
        def docs():
            # while the new index is being loaded, searches go to the old one
            assert corpus.search(SearchQuery("customers")).count > 0
            yield doc("shipments")

        corpus.rebuild(docs())
        assert corpus.search(SearchQuery("customers")).count == 0
        assert len(corpus._live_indices()) == 1

    def test_failed_rebuild_leaves_index_untouched(self, corpus):
        def broken():
            yield doc("shipments")
            raise RuntimeError("database went away")

        before = corpus._live_indices()
        with pytest.raises(RuntimeError):
            corpus.rebuild(broken())
        assert corpus.count() == 7
        assert corpus._live_indices() == before
        indices = corpus.client.indices.get(index=f"{self.index}-*")
        assert sorted(indices) == before, "the half-built index is deleted"

    def test_processes_racing_to_create_the_index_share_one(self):
        from concurrent.futures import ThreadPoolExecutor

        from catalog.search.opensearch import OpenSearchBackend

        def first_use(_):
            backend = OpenSearchBackend(url=self.url, index=self.index)
            return backend.index_documents([doc("orders")])

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(first_use, range(4))) == [1, 1, 1, 1]
        backend = OpenSearchBackend(url=self.url, index=self.index)
        assert len(backend._live_indices()) == 1
        assert backend.count() == 1
