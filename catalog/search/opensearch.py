"""The scale-out search backend: an OpenSearch 2.x cluster through ``opensearch-py``.

Settings (``MESH_SEARCH["default"]``, from ``MESH_SEARCH_BACKEND=opensearch``):
``URL`` (``MESH_SEARCH_URL``, e.g. ``http://127.0.0.1:9200`` or
``https://user:password@search.internal:9200``), ``INDEX`` (``MESH_SEARCH_INDEX``: the
*alias* searches go through), ``TIMEOUT`` (seconds per request), ``REFRESH`` (``True``:
a write is searchable when the call returns; ``"wait_for"`` or ``False`` trade that for
throughput), ``REQUEST_CACHE`` (``True``: facet counts may come from the shard request
cache, which every refresh invalidates; the benchmarks turn it off).

Layout: the alias ``INDEX`` points at one concrete index ``<INDEX>-v<MAPPING_VERSION>-
<UTC time>`` with the mapping of :data:`catalog.search.opensearch_query.MAPPING`
(versioned in its ``_meta``). ``rebuild`` creates a new index, bulk-loads it with the
client's streaming helper (refresh off while loading), then moves the alias in one
``_aliases`` call and only then deletes the old index: searches never see a partial
index, and a failed rebuild leaves the old one in place. A document's id is its URN
(a SHA-256 of it when the URN is over 512 bytes). Queries are compiled in
:mod:`catalog.search.opensearch_query` from the shared plan of :mod:`catalog.search.base`.

When the cluster is down, writes raise (``opensearchpy`` connection errors) and the
outbox keeps the search projection's cursor, so nothing is lost: the next
``process_outbox`` catches up.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterable, Iterator

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as ClusterConnectionError
from opensearchpy.exceptions import RequestError, TransportError

from catalog.search.base import (
    FACET_KEYS,
    OTHER_TEXT_KEYS,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    document_boost,
    document_terms,
    max_edits,
    may_need_correction,
    plan_query,
    tokens,
    with_parts,
)
from catalog.search.opensearch_query import (
    FACET_FIELDS,
    MAPPING,
    MAPPING_VERSION,
    MAX_RESULT_WINDOW,
    add_highlights,
    counted_by_facets,
    exact_level,
    exact_request,
    facet_requests,
    highlight_request,
    known_words,
    main_request,
    read_facets,
    suggest_request,
    suggested_terms,
    to_hit,
    vocabulary_request,
)

log = logging.getLogger(__name__)
#: documents per bulk request
CHUNK = 1000


@contextlib.contextmanager
def unavailable(what: str) -> Iterator[None]:
    """Turn the client's connection and server errors during ``what`` into
    :class:`SearchUnavailable` (details logged, address and credentials not shown)."""
    try:
        yield
    except (ClusterConnectionError, TransportError) as exc:
        log.warning("OpenSearch %s failed: %s", what, exc)
        status = getattr(exc, "status_code", "N/A")
        reason = "unreachable" if status == "N/A" else f"answered with status {status}"
        raise SearchUnavailable(f"the search cluster is {reason}") from None


def checked(msearch: dict) -> list[dict]:
    """The responses of an ``_msearch``; raises SearchUnavailable (details logged) when
    one of them is an error."""
    responses = msearch["responses"]
    for response in responses:
        if "error" in response:
            log.warning("OpenSearch search failed: %s", response["error"])
            status = response.get("status", "N/A")
            raise SearchUnavailable(f"the search cluster answered with status {status}")
    return responses


def document_id(urn: str) -> str:
    """The OpenSearch ``_id`` of a URN: the URN itself, or ``sha256:<hex>`` when it is
    longer than the 512 bytes OpenSearch allows."""
    return urn if len(urn.encode()) <= 512 else "sha256:" + hashlib.sha256(urn.encode()).hexdigest()


def to_source(doc: dict) -> dict:
    """The indexed source of a search document (see :mod:`catalog.search.base`)."""
    other = [
        doc.get("platform", ""),
        doc.get("type", ""),
        *(v for key in OTHER_TEXT_KEYS for v in doc.get(key, [])),
    ]
    name, qn = doc.get("name", ""), doc.get("qualified_name", "")
    source = {
        "urn": doc["urn"],
        "name": with_parts(name),
        "qualified_name": with_parts(qn),
        "field_names": [with_parts(f) for f in doc.get("field_names", [])],
        "tags": [with_parts(t) for t in doc.get("tags", [])],
        "description": doc.get("description", "") or "",
        "field_descriptions": [d for d in doc.get("field_descriptions", []) if d],
        "other": " ".join(x for x in other if x),
        "terms": " ".join(sorted(document_terms(doc))),
        "name_lc": name.lower(),
        "qn_lc": qn.lower(),
        "popularity": float(doc.get("popularity") or 0),
        "boost": document_boost(doc),
        "display": {
            "urn": doc["urn"],
            "name": name,
            "qualified_name": qn,
            "type": doc.get("type", ""),
            "platform": doc.get("platform", ""),
            "description": doc.get("description", "") or "",
        },
    }
    for facet, key in FACET_KEYS.items():
        value = doc.get(key)
        values = value if isinstance(value, list | tuple | set) else [value]
        source[FACET_FIELDS[facet]] = sorted({str(v) for v in values if v not in (None, "")})
    return source


class OpenSearchBackend(SearchBackend):
    """Search index in an OpenSearch 2.x cluster at ``url``, behind the alias ``index``.

    The alias and a first index are created on first use. Raises
    ``opensearchpy.exceptions.ConnectionError`` (or ``TransportError``) when the cluster
    is unreachable or refuses a request.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:9200",
        index: str = "mesh-catalog",
        timeout: float = 10,
        refresh: bool | str = True,
        request_cache: bool = True,
        **options,
    ) -> None:
        self.url, self.alias, self.refresh = url, index.lower(), refresh
        self.request_cache = request_cache
        self.client = OpenSearch(
            hosts=[url], timeout=timeout, max_retries=1, retry_on_timeout=False
        )
        self._ready = False

    # -- index management -----------------------------------------------------------
    def _ensure(self) -> None:
        """Create the alias and its first index when missing (once per process);
        warn when the live index was built by another mapping version."""
        if self._ready:
            return
        live = self._live_indices()
        if not live:
            # a fixed first name and the alias in the same create call: processes racing
            # here end with one index behind the alias (the others get "already exists")
            self._new_index(first=True)
            if not self._live_indices():
                raise RuntimeError(
                    f"search index {self.alias}-v{MAPPING_VERSION}-0 exists without the"
                    f" alias {self.alias}: delete it or point the alias at it"
                )
        else:
            mapping = self.client.indices.get_mapping(index=live[0])
            meta = next(iter(mapping.values()))["mappings"].get("_meta", {})
            if meta.get("mesh_mapping_version") != MAPPING_VERSION:
                log.warning(
                    "search index %s has mapping version %s, this code writes %s:"
                    " run `manage.py rebuild_index`",
                    live[0],
                    meta.get("mesh_mapping_version"),
                    MAPPING_VERSION,
                )
        self._ready = True

    def _live_indices(self) -> list[str]:
        """The concrete indices behind the alias ([] when the alias does not exist)."""
        found = self.client.indices.get_alias(name=self.alias, ignore=404)
        if found.get("status") == 404:
            return []
        return sorted(found)

    def _new_index(self, loading: bool = False, first: bool = False) -> str:
        """Create a new concrete index for the alias; ``loading``: refresh off;
        ``first``: the alias's first index (a fixed name, created with the alias, and
        no error when another process created it already)."""
        stamp = 0 if first else time.time_ns() // 1000
        name = f"{self.alias}-v{MAPPING_VERSION}-{stamp}"
        body = {**MAPPING, "settings": {**MAPPING["settings"]}}
        body["settings"]["index"] = {
            **MAPPING["settings"]["index"],
            "number_of_shards": 1,
            "number_of_replicas": 0,
            **({"refresh_interval": "-1"} if loading else {}),
        }
        if first:
            body["aliases"] = {self.alias: {}}
        try:
            self.client.indices.create(index=name, body=body)
        except RequestError as exc:
            if not (first and exc.error == "resource_already_exists_exception"):
                raise
        return name

    # -- writing --------------------------------------------------------------------
    def _bulk(self, actions: Iterable[dict], refresh) -> Iterator[tuple[bool, dict]]:
        return helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=CHUNK,
            max_chunk_bytes=20 * 1024 * 1024,
            raise_on_error=False,
            raise_on_exception=True,
            refresh=refresh,
        )

    def index_documents(self, docs: Iterable[dict]) -> int:
        """Add or replace documents by URN (streamed in bulk requests of 1,000); returns
        the number of distinct URNs written. Raises RuntimeError naming the first
        rejected URN and the reason."""
        self._ensure()
        urns: set[str] = set()

        def actions() -> Iterator[dict]:
            # streamed; a URN twice: bulk operations apply in order, so the last one wins
            for doc in docs:
                urns.add(doc["urn"])
                yield {
                    "_index": self.alias,
                    "_id": document_id(doc["urn"]),
                    "_source": to_source(doc),
                }

        for ok, item in self._bulk(actions(), self.refresh):
            if not ok:
                info = item.get("index", {})
                raise RuntimeError(
                    f"search index rejected document {info.get('_id')}: {info.get('error')}"
                )
        return len(urns)

    def delete(self, urns: Iterable[str]) -> int:
        """Remove documents by URN; returns how many existed."""
        self._ensure()
        actions = (
            {"_op_type": "delete", "_index": self.alias, "_id": document_id(u)}
            for u in dict.fromkeys(urns)
        )
        removed = 0
        for ok, item in self._bulk(actions, self.refresh):
            result = item.get("delete", {})
            if ok:
                removed += 1
            elif result.get("status") != 404:
                raise RuntimeError(
                    f"search index could not delete {result.get('_id')}: {result.get('error')}"
                )
        return removed

    def rebuild(self, docs: Iterable[dict]) -> int:
        """Load ``docs`` into a new index, then move the alias to it in one atomic
        ``_aliases`` call and delete the old index; on any error the new index is
        deleted and the old one stays live. Returns documents written (a repeated URN
        counts each time)."""
        self._ensure()
        new = self._new_index(loading=True)
        # a URN twice: the last one wins (bulk applies in order)
        actions = (
            {"_index": new, "_id": document_id(doc["urn"]), "_source": to_source(doc)}
            for doc in docs
        )
        written = 0
        try:
            for ok, item in self._bulk(actions, False):
                written += 1
                if not ok:
                    info = item.get("index", {})
                    raise RuntimeError(
                        f"search index rejected document {info.get('_id')}: {info.get('error')}"
                    )
            self.client.indices.put_settings(index=new, body={"index": {"refresh_interval": None}})
            self.client.indices.refresh(index=new)
            old = self._live_indices()
            actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(body={"actions": actions})
        except BaseException:
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        for name in old:
            self.client.indices.delete(index=name, ignore_unavailable=True)
        return written

    def clear(self) -> None:
        """Remove every document (by rebuilding an empty index)."""
        self.rebuild([])

    def count(self) -> int:
        """Documents behind the alias."""
        self._ensure()
        return int(self.client.count(index=self.alias)["count"])

    def drop(self) -> None:
        """Delete the alias and every index of it (tests and benchmarks clean up)."""
        for name in self._live_indices():
            self.client.indices.delete(index=name, ignore_unavailable=True)
        self._ready = False

    # -- reading --------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResults:
        """Rank, count, facet and highlight (rules in :mod:`catalog.search.base`, DSL in
        :mod:`catalog.search.opensearch_query`). Usually one ``_msearch``: the vocabulary
        lookups travel with the searches of the plan that assumes every word is indexed,
        which is the plan whenever no word needs expanding; otherwise a second
        ``_msearch`` runs the real plan. Raises SearchError for a page beyond
        :data:`MAX_RESULT_WINDOW` hits and SearchUnavailable when the cluster does not
        answer."""
        if query.offset + query.page_size > MAX_RESULT_WINDOW:
            raise SearchError(
                f"page: {query.page} is too deep (results go up to hit"
                f" {MAX_RESULT_WINDOW}); narrow the search with filters"
            )
        with unavailable("search"):
            self._ensure()
            if not query.text:
                return self._run(query, None, "and")
            words = tokens(query.text)
            lookups = [w for w in dict.fromkeys(words) if may_need_correction(w)]
            corrected = [w for w in lookups if max_edits(w)]
            vocabulary = vocabulary_request(lookups, corrected)[1::2] if lookups else []
            guess = plan_query(query.text, set, lambda _: {})  # every word indexed
            responses = self._msearch(vocabulary + self._searches(query, guess, "and"))
            found, rest = responses[: len(vocabulary)], responses[len(vocabulary) :]
            options = suggested_terms(corrected, found[-1]) if corrected else {}
            plan = plan_query(
                query.text,
                lambda ws: known_words(ws, found),
                lambda ws: {w: options.get(w, []) for w in ws},
            )
            if plan.expand:
                results = self._run(query, plan, "and")
            else:
                results = self._finish(query, plan, rest)
            if results.count == 0 and len(plan.words) > 1:
                results = self._run(query, plan, "or")
            return results

    def _run(self, query: SearchQuery, plan, operator: str) -> SearchResults:
        """The searches of ``plan`` in one ``_msearch``, then :meth:`_finish`."""
        return self._finish(query, plan, self._msearch(self._searches(query, plan, operator)))

    @staticmethod
    def _searches(query: SearchQuery, plan, operator: str) -> list[dict]:
        """Browsing: the page and the facet groups. Text: the exact tier, the ranked
        hits (exact tier left out, with highlights) and the facet groups."""
        if plan is None or not plan.words:
            ranked = main_request(query, plan, operator, query.page_size)
            ranked["from"] = query.offset
            return [ranked, *facet_requests(query, plan, operator)]
        need = query.offset + query.page_size
        searches = [exact_request(query, plan, operator), main_request(query, plan, operator, need)]
        return searches + facet_requests(query, plan, operator)

    def _finish(self, query: SearchQuery, plan, responses: list[dict]) -> SearchResults:
        """Results from the responses of :meth:`_searches`; highlights the page's
        exact-tier hits, if any, with one more small search."""
        need = query.offset + query.page_size
        if plan is None or not plan.words:
            response = responses[0]
            hits = [
                to_hit(h, float(h["_source"].get("boost", 0))) for h in response["hits"]["hits"]
            ]
            count = int(response["hits"]["total"]["value"])
            return self._results(query, plan, count, hits, responses[1:])
        exact_response, response = responses[:2]
        exact = []
        for raw in exact_response["hits"]["hits"]:
            level = exact_level(plan, raw["_source"], query.text)
            if level:
                exact.append((level, raw))
        exact.sort(
            key=lambda e: (
                -e[0],
                -float(e[1]["_source"].get("boost", 0)),
                len(e[1]["_source"].get("qn_lc", "")),
                e[1]["_source"].get("qn_lc", ""),
            )
        )
        page = [(raw, 1000.0 * level, True) for level, raw in exact]
        page += [(raw, float(raw["sort"][0]), False) for raw in response["hits"]["hits"]]
        page = page[query.offset : need]
        missing = [raw["_id"] for raw, _, is_exact in page if is_exact]
        if missing:  # exact-tier hits are highlighted for the page only (there may be many)
            marked = self._msearch([highlight_request(plan, missing)])[0]["hits"]["hits"]
            fragments = {h["_id"]: h.get("highlight", {}) for h in marked}
            for raw, _, is_exact in page:
                if is_exact:
                    raw["highlight"] = fragments.get(raw["_id"], {})
        hits = []
        for raw, score, is_exact in page:
            hit = to_hit(raw, score, is_exact)
            add_highlights(hit, raw.get("highlight", {}))
            hits.append(hit)
        if counted_by_facets(query):
            count = int(responses[2]["hits"]["total"]["value"])
        else:  # every facet filtered: the ranked search counted, without the exact tier
            count = int(response["hits"]["total"]["value"])
            count += int(exact_response["aggregations"]["in_text"]["doc_count"])
        return self._results(query, plan, count, hits, responses[2:])

    def _msearch(self, searches: list[dict]) -> list[dict]:
        """Run ``searches`` on the alias in one ``_msearch``; their responses in order."""
        body = []
        for search in searches:
            body += [{"request_cache": self.request_cache} if "aggs" in search else {}, search]
        return checked(self.client.msearch(index=self.alias, body=body))

    @staticmethod
    def _results(query, plan, count: int, hits, facet_responses) -> SearchResults:
        return SearchResults(
            count=count,
            hits=hits,
            facets=read_facets(query, facet_responses),
            corrections=plan.corrections if plan else {},
        )

    def suggest(self, prefix: str, limit: int = 10) -> list[dict]:
        """Names starting with ``prefix``, then names with a word starting with it;
        exact name first, then popular, then short names (as the embedded backend)."""
        p = (prefix or "").strip().lower()
        if not p or limit < 1:
            return []
        with unavailable("suggest"):
            self._ensure()
            body = suggest_request(p, tokens(p), limit)
            response = self.client.search(index=self.alias, body=body)
        rows = []
        for raw in response["hits"]["hits"]:
            source = raw["_source"]
            rows.append(
                (source["name_lc"], float(source.get("popularity") or 0), source["display"])
            )
        rows.sort(key=lambda r: (r[0] != p, not r[0].startswith(p), -r[1], len(r[0]), r[0]))
        out, seen = [], set()
        for _, _, d in rows:
            if d["urn"] in seen:
                continue
            seen.add(d["urn"])
            out.append({k: d[k] for k in ("urn", "name", "qualified_name", "type", "platform")})
        return out[:limit]
