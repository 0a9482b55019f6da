"""Shared test bases, NetBox style: subclass once per endpoint or page, fill in the blanks.

* :class:`APIListTests` — a list endpoint answers 200 with a paginated ``count``, each of
  its filters narrows the list, and its query count is pinned and does not grow with rows.
* :class:`APIDetailTests` — a detail endpoint answers 200 for an object and 404 for an
  unknown key, with a pinned query count.
* :class:`PageTests` — a web page renders (200) with a pinned query count that does not
  grow with rows (no N+1).

Subclasses are pytest classes (``class TestProductList(APIListTests): ...``); builders
write real rows into the test database (nothing is mocked). A pinned count is the exact
number of SQL queries of one request after a warm-up request (sessions, content types
and other per-process caches are then loaded); when a change alters it on purpose,
update the pin and say why in the commit.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url: str, status: int = 200) -> tuple[int, list[str]]:
    """``(queries, their SQL)`` of one ``GET url`` through ``client``; asserts the status."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def assert_flat_queries(client, url: str, grow, expected: int, status: int = 200) -> None:
    """``GET url`` makes exactly ``expected`` queries, before and after ``grow()`` adds rows
    the response lists (so a per-row query, an N+1, fails). Warms up with one request."""
    client.get(url)
    before, sql_before = count_queries(client, url, status)
    grow()
    after, sql_after = count_queries(client, url, status)
    assert (before, after) == (expected, expected), "\n".join(
        [f"{url}: {before} queries, then {after} after adding rows (pinned {expected})"] + sql_after
    )


class PageTests:
    """A page: set ``queries`` (pinned count); implement :meth:`setup_rows` (rows before the
    first measurement; return the page URL), :meth:`grow` (more rows it shows) and
    optionally :meth:`client` (signed in or not)."""

    queries: int = 0
    status: int = 200

    def setup_rows(self) -> str:
        """Create the rows the page shows and return its URL."""
        raise NotImplementedError

    def grow(self) -> None:
        """Create more rows of each kind the page lists."""
        raise NotImplementedError

    def client(self, client):
        """The client to request with (default: signed in as a plain user)."""
        from django.contrib.auth.models import User

        reader, _ = User.objects.get_or_create(username="page-reader")
        client.force_login(reader)
        return client

    def test_page_query_count_is_pinned_and_flat(self, client, db):
        """Renders with exactly ``queries`` queries, however many rows it lists."""
        url = self.setup_rows()
        assert_flat_queries(self.client(client), url, self.grow, self.queries, self.status)


class APIListTests:
    """A list endpoint: set ``url`` and ``queries``; implement :meth:`make` (create ``n``
    more listed objects) and :attr:`filters` (``{query string: expected count}`` over the
    rows of ``make(3)``) and optionally :meth:`client`."""

    url: str = ""
    queries: int = 0
    filters: dict[str, int] = {}

    def make(self, n: int) -> None:
        """Create ``n`` more objects the endpoint lists."""
        raise NotImplementedError

    def client(self, client):
        """The client to request with (default: anonymous)."""
        return client

    def test_list(self, client, db):
        """200 with ``{count, results}``; ``count`` includes the made rows."""
        self.make(3)
        body = self.client(client).get(self.url).json()
        rows = body["results"] if isinstance(body, dict) else body  # unpaginated: a list
        assert len(rows) >= 3 and (not isinstance(body, dict) or body["count"] >= 3)

    def test_filters(self, client, db):
        """Each filter narrows the list to its expected count."""
        self.make(3)
        c = self.client(client)
        sep = "&" if "?" in self.url else "?"
        for query, expected in self.filters.items():
            response = c.get(f"{self.url}{sep}{query}")
            assert response.status_code == 200, (query, response.content[:300])
            body = response.json()
            assert (body["count"] if isinstance(body, dict) else len(body)) == expected, query

    def test_list_query_count_is_pinned_and_flat(self, client, db):
        """Exactly ``queries`` queries, with 2 or 6 rows (no N+1)."""
        self.make(2)
        assert_flat_queries(self.client(client), self.url, lambda: self.make(4), self.queries)


class APIDetailTests:
    """A detail endpoint: implement :meth:`make_one` (create an object, return its URL) and
    set ``missing_url`` (a URL of an unknown key) and ``queries``."""

    missing_url: str = ""
    queries: int = 0

    def make_one(self) -> str:
        """Create one object and return its detail URL."""
        raise NotImplementedError

    def client(self, client):
        """The client to request with (default: anonymous)."""
        return client

    def test_detail_and_missing(self, client, db):
        """200 for the object, 404 for an unknown key."""
        url = self.make_one()
        c = self.client(client)
        assert c.get(url).status_code == 200
        assert c.get(self.missing_url).status_code == 404

    def test_detail_query_count_is_pinned(self, client, db):
        """Exactly ``queries`` queries."""
        url = self.make_one()
        c = self.client(client)
        c.get(url)
        count, sql = count_queries(c, url)
        assert count == self.queries, "\n".join([f"{url}: {count} queries"] + sql)


__all__ = [
    "APIDetailTests",
    "APIListTests",
    "PageTests",
    "assert_flat_queries",
    "count_queries",
]
