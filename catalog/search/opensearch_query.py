"""Read side of the OpenSearch backend: the index mapping and the compiled queries.

The query plan (:class:`catalog.search.base.QueryPlan`) becomes OpenSearch query DSL:

- **Vocabulary** (:func:`vocabulary_request`): searches that tell which
  query words the index holds (a ``match`` on the stemmed ``all`` field, stopped after
  the first hit) and, through a term suggester on the unstemmed ``terms`` field, the
  indexed terms within two edits of each word; :func:`catalog.search.base.plan_query`
  then picks the corrections exactly as the embedded backend does.
- **Ranking** (:func:`main_request`): every word must match (``bool.must``), each word
  as a weighted ``should`` over the text fields (weights of
  :data:`catalog.search.base.FIELD_WEIGHTS`, so the sum is a weighted BM25) and, for an
  unknown word, also as a prefix and as its corrections. The BM25 sum is multiplied by
  the document's stored ``boost`` (popularity boost + prominence, a ``function_score``
  on a float field), and documents whose name or qualified name match every word get
  :data:`NAME_TIER` added: the name tier always ranks above the other matches. The exact
  tier is its own search (:func:`exact_request`, ``terms`` on the lower-cased name,
  qualified name and URN), left out of the ranked one (``must_not``) and ordered in
  Python by level, boost and qualified-name length, as on FTS5.
- **Facets and count** (:func:`facet_requests`): size-0 searches in the same
  ``_msearch``, the text matched on the ``all`` field in filter context (no scoring):
  one for the unfiltered facets under every filter (its total is the count, so the
  ranked search skips counting), one per filtered facet under the other facets' filters:
  disjunctive counts, exact at any size (never sampled).
- **Highlights**: the unified highlighter with private-use marks (OpenSearch trims
  control characters at fragment ends) on the ranked hits, and for the page's
  exact-tier hits a last small search (:func:`highlight_request`); turned into
  HTML-escaped ``<mark>`` snippets by :func:`catalog.search.base.mark`.

Per search (:meth:`catalog.search.opensearch.OpenSearchBackend.search`): one ``_msearch``
carrying the vocabulary lookups and the searches of the plan that assumes every word is
indexed; a second one when a word needs expanding (typos, prefixes); one small search more
when the page holds exact-tier hits.
"""

from __future__ import annotations

from catalog.search.base import (
    CORE_FACETS,
    FACETS,
    FIELD_WEIGHTS,
    MAX_FACET_VALUES,
    QueryPlan,
    SearchHit,
    SearchQuery,
    mark,
)
from catalog.search.sqlite_query import CLOSE, OPEN, fold_identifier_parts

#: version of :data:`MAPPING`; an index built by another version is rebuilt by
#: ``manage.py rebuild_index`` (the backend warns until then)
MAPPING_VERSION = 2  # 2: glossary and classification facets
TEXT_FIELDS = tuple(FIELD_WEIGHTS)
NAME_FIELDS = ("name", "qualified_name")
#: keyword field of each facet
FACET_FIELDS = {facet: f"f_{facet}" for facet in FACETS}
NO_HIGHLIGHT = {"other"}
#: highlight marks: private-use characters (OpenSearch trims control characters such as
#: the embedded backend's ``\x02`` / ``\x03`` off the ends of a fragment)
HL_OPEN, HL_CLOSE = "\ue000", "\ue001"
#: suffix of the aggregation counting a filtered facet's selected values
SELECTED = "__selected"
#: score added to documents whose name or qualified name matches every word (BM25 ×
#: boost stays far below it; float32 scores keep ~0.001 precision at this size)
NAME_TIER = 10_000.0
#: exact-tier documents fetched at most (a name shared by more ranks the first ones)
MAX_EXACT = 1000
#: term-suggester candidates per unknown word (then filtered by Levenshtein distance)
SUGGEST_SIZE = 25
#: deepest hit reachable by paging (``index.max_result_window``)
MAX_RESULT_WINDOW = 100_000

_text = {"type": "text", "analyzer": "mesh_text"}
MAPPING: dict = {
    "settings": {
        "index": {"max_result_window": MAX_RESULT_WINDOW},
        "analysis": {
            # tokens as catalog.search.base.tokens splits them (letters and digits; "_"
            # separates), lower-cased, accents folded, Porter-stemmed like FTS5's porter
            "tokenizer": {"mesh_words": {"type": "pattern", "pattern": r"[^\p{L}\p{N}]+"}},
            "analyzer": {
                "mesh_text": {
                    "type": "custom",
                    "tokenizer": "mesh_words",
                    "filter": ["lowercase", "asciifolding", "porter_stem"],
                },
                "mesh_terms": {
                    "type": "custom",
                    "tokenizer": "mesh_words",
                    "filter": ["lowercase"],
                },
            },
            "normalizer": {"mesh_lower": {"type": "custom", "filter": ["lowercase"]}},
        },
    },
    "mappings": {
        "dynamic": "strict",
        "_meta": {"mesh_mapping_version": MAPPING_VERSION},
        "properties": {
            **{f: {**_text, "copy_to": "all"} for f in TEXT_FIELDS},
            "name": {
                **_text,
                "copy_to": "all",
                "index_prefixes": {"min_chars": 2, "max_chars": 8},
            },
            "all": _text,
            "terms": {"type": "text", "analyzer": "mesh_terms"},
            "urn": {"type": "keyword"},
            "name_lc": {"type": "keyword"},
            "qn_lc": {"type": "keyword"},
            "popularity": {"type": "float"},
            "boost": {"type": "float"},
            "display": {"type": "object", "enabled": False},
            **{
                field: {"type": "keyword", "eager_global_ordinals": True}
                for field in FACET_FIELDS.values()
            },
        },
    },
}


# -- the vocabulary round trip -------------------------------------------------------
def vocabulary_request(words: list[str], corrected: list[str]) -> list[dict]:
    """``_msearch`` body: per word of ``words`` a search stopped after its first match
    on the stemmed ``all`` field, then one term-suggester search for ``corrected``."""
    body: list[dict] = []
    for word in words:
        body += [
            {},
            {
                "size": 0,
                "terminate_after": 1,
                "track_total_hits": 1,
                "query": {"match": {"all": {"query": word}}},
            },
        ]
    if corrected:
        suggest = {
            f"w{i}": {
                "text": word,
                "term": {
                    "field": "terms",
                    "suggest_mode": "always",
                    "max_edits": 2,
                    "prefix_length": 0,
                    "min_word_length": 4,
                    "size": SUGGEST_SIZE,
                    "sort": "score",
                    "string_distance": "levenshtein",
                },
            }
            for i, word in enumerate(corrected)
        }
        body += [{}, {"size": 0, "query": {"match_none": {}}, "suggest": suggest}]
    return body


def known_words(words: list[str], responses: list[dict]) -> set[str]:
    """The ``words`` whose vocabulary search (first responses) found a document."""
    return {w for w, r in zip(words, responses, strict=False) if r["hits"]["total"]["value"]}


def suggested_terms(corrected: list[str], response: dict) -> dict[str, list[tuple[str, int]]]:
    """``{word: [(term, document count)]}`` from the term-suggester response."""
    out: dict[str, list[tuple[str, int]]] = {}
    suggest = response.get("suggest", {})
    for i, word in enumerate(corrected):
        options = [o for entry in suggest.get(f"w{i}", []) for o in entry.get("options", [])]
        out[word] = [(o["text"], int(o.get("freq", 0))) for o in options]
    return out


# -- ranking -------------------------------------------------------------------------
def word_clause(plan: QueryPlan, word: str, fields: tuple[str, ...]) -> dict:
    """The query one word must satisfy in ``fields``: the word itself (weighted per
    field), and for a word the index lacks also its prefix and its corrections."""
    options = [{"match": {f: {"query": word, "boost": FIELD_WEIGHTS.get(f, 1.0)}}} for f in fields]
    if word in plan.expand:
        options += [
            {"prefix": {f: {"value": word, "boost": FIELD_WEIGHTS.get(f, 1.0) * 0.5}}}
            for f in fields
        ]
        for _, term in plan.fixes.get(word, []):
            options += [
                {"match": {f: {"query": term, "boost": FIELD_WEIGHTS.get(f, 1.0)}}} for f in fields
            ]
    return {"bool": {"should": options, "minimum_should_match": 1}}


def text_query(plan: QueryPlan, operator: str, fields: tuple[str, ...] = TEXT_FIELDS) -> dict:
    """Every word (``operator="and"``) or any word (``"or"``) of the plan in ``fields``."""
    clauses = [word_clause(plan, w, fields) for w in dict.fromkeys(plan.words)]
    if operator == "and":
        return {"bool": {"must": clauses}}
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def filter_clauses(filters: dict[str, list[str]], skip: str | None = None) -> list[dict]:
    """One ``terms`` filter per facet of ``filters`` but ``skip`` (OR within, AND across)."""
    return [
        {"terms": {FACET_FIELDS[facet]: values}}
        for facet, values in filters.items()
        if facet != skip
    ]


def facet_requests(query: SearchQuery, plan: QueryPlan | None, operator: str) -> list[dict]:
    """Disjunctive facet counts as size-0 searches (the text in filter context, no
    scoring): first one for the unfiltered facets under every filter (its total is the
    search's count, see :func:`counted_by_facets`), then one per filtered facet
    under the *other* facets' filters (counting its selected values too, so they show
    even when not in the top). Counting every match of a whole catalog (no text, no
    other filter) is one search per facet, which OpenSearch answers from the term
    dictionary without visiting documents."""
    # matching only: the ``all`` field (every text field copied) instead of seven
    text = [text_query(plan, operator, ("all",))] if plan is not None and plan.words else []
    groups: list[tuple[list[str], str | None]] = []
    plain = [f for f in FACETS if f not in query.filters]
    if plain:
        if not text and not query.filters:
            groups += [([f], None) for f in plain]
        else:
            groups.append((plain, None))
    groups += [([f], f) for f in query.filters]
    requests = []
    for facets, skip in groups:
        aggs = {}
        for facet in facets:
            field = FACET_FIELDS[facet]
            aggs[facet] = {"terms": {"field": field, "size": MAX_FACET_VALUES}}
            if query.filters.get(facet):
                aggs[f"{facet}{SELECTED}"] = {
                    "terms": {"field": field, "include": query.filters[facet], "size": 100}
                }
        condition = text + filter_clauses(query.filters, skip=skip)
        requests.append(
            {
                "size": 0,
                # the unfiltered facets' search counts every match of text and filters:
                # the total (the ranked search then need not count, and can skip)
                "track_total_hits": skip is None,
                "query": {"bool": {"filter": condition}} if condition else {"match_all": {}},
                "aggs": aggs,
            }
        )
    return requests


def counted_by_facets(query: SearchQuery) -> bool:
    """Whether the first :func:`facet_requests` search counts the query's matches (some
    facet is unfiltered), so the ranked search need not count them."""
    return any(f not in query.filters for f in FACETS)


def read_facets(query: SearchQuery, responses: list[dict]) -> dict[str, list[tuple[str, int]]]:
    """``{facet: [(value, count)]}`` from the :func:`facet_requests` responses, largest
    first (then by value), selected values appended; optional facets only when present."""
    aggregations: dict = {}
    for response in responses:
        aggregations.update(response.get("aggregations", {}))
    out = {}
    for facet in FACETS:
        top_buckets = aggregations.get(facet, {}).get("buckets", [])
        values = {b["key"]: b["doc_count"] for b in top_buckets}
        picked = aggregations.get(f"{facet}{SELECTED}", {}).get("buckets", [])
        selected = {b["key"]: b["doc_count"] for b in picked}
        if not values and not selected and facet not in CORE_FACETS:
            continue
        top = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES]
        chosen = {v for v, _ in top}
        top += [(v, selected.get(v, 0)) for v in query.filters.get(facet, []) if v not in chosen]
        out[facet] = top
    return out


def highlight_spec(plan: QueryPlan) -> dict:
    """The ``highlight`` part of a search: marked fragments of the text fields."""
    return {
        "pre_tags": [HL_OPEN],
        "post_tags": [HL_CLOSE],
        "type": "unified",
        "fragment_size": 90,
        "number_of_fragments": 1,
        "no_match_size": 0,
        "require_field_match": True,
        "highlight_query": text_query(plan, "or"),
        "fields": {f: {} for f in TEXT_FIELDS if f not in NO_HIGHLIGHT},
    }


def exact_clauses(query: SearchQuery, plan: QueryPlan) -> list[dict]:
    """A document is in the exact tier when one of these matches."""
    variants = list(plan.exact)
    return [
        {"terms": {"name_lc": variants}},
        {"terms": {"qn_lc": variants}},
        {"term": {"urn": query.text}},
    ]


SOURCE = ["display", "urn", "boost", "qn_lc", "name_lc"]


def main_request(query: SearchQuery, plan: QueryPlan | None, operator: str, size: int) -> dict:
    """The ranked search under the filters, the exact tier left out (it comes from
    :func:`exact_request`): hits ``0..size`` with highlights; it counts its matches only
    when the facet searches do not (:func:`counted_by_facets`), so OpenSearch may skip
    blocks of documents that cannot reach the page."""
    filters = filter_clauses(query.filters)
    if plan is None or not plan.words:
        return {
            "size": size,
            "track_total_hits": True,
            "_source": SOURCE,
            "query": {"bool": {"filter": filters}} if filters else {"match_all": {}},
            "sort": [{"boost": "desc"}, {"name_lc": "asc"}],
        }
    relevance = {
        "function_score": {
            "query": text_query(plan, operator),
            "field_value_factor": {"field": "boost", "missing": 1.0},
            "boost_mode": "multiply",
        }
    }
    name_tier = {
        "constant_score": {"filter": text_query(plan, "and", NAME_FIELDS), "boost": NAME_TIER}
    }
    return {
        "size": size,
        "track_total_hits": not counted_by_facets(query),
        "track_scores": True,
        "_source": SOURCE,
        "query": {
            "bool": {
                "must": [relevance],
                "should": [name_tier],
                "filter": filters,
                "must_not": exact_clauses(query, plan),
            }
        },
        "sort": [{"_score": "desc"}, {"name_lc": "asc"}],
        "highlight": highlight_spec(plan),
    }


def exact_request(query: SearchQuery, plan: QueryPlan, operator: str) -> dict:
    """The exact tier under the filters (at most :data:`MAX_EXACT`; highlighted later,
    for the page's hits only: see :func:`highlight_request`), and how many of its documents match the text (``aggregations.in_text``: the total
    count is theirs plus the ranked search's)."""
    return {
        "size": MAX_EXACT,
        "track_total_hits": True,
        "_source": SOURCE,
        "query": {
            "bool": {
                "should": exact_clauses(query, plan),
                "minimum_should_match": 1,
                "filter": filter_clauses(query.filters),
            }
        },
        "sort": [{"boost": "desc"}, {"name_lc": "asc"}],
        **(
            {}
            if counted_by_facets(query)
            else {"aggs": {"in_text": {"filter": text_query(plan, operator, ("all",))}}}
        ),
    }


def highlight_request(plan: QueryPlan, ids: list[str]) -> dict:
    """The highlights of the documents ``ids`` (exact-tier hits of a page)."""
    return {
        "size": len(ids),
        "_source": False,
        "query": {"ids": {"values": ids}},
        "highlight": highlight_spec(plan),
    }


def exact_level(plan: QueryPlan, source: dict, text: str) -> int:
    """The exact-tier level of a hit's source (0 when it is not an exact match)."""
    return max(
        plan.exact.get(source.get("name_lc", ""), 0),
        plan.exact.get(source.get("qn_lc", ""), 0),
        3 * (source.get("urn") == text),
    )


def to_hit(raw: dict, score: float, exact: bool = False) -> SearchHit:
    """A :class:`SearchHit` from an OpenSearch hit's display fields."""
    display = raw["_source"].get("display", {})
    return SearchHit(
        urn=display.get("urn", raw["_source"].get("urn", "")),
        name=display.get("name", ""),
        type=display.get("type", ""),
        platform=display.get("platform", ""),
        description=display.get("description", ""),
        qualified_name=display.get("qualified_name", ""),
        score=score,
        exact=exact,
    )


def add_highlights(hit: SearchHit, fragments: dict[str, list[str]]) -> None:
    """Add ``{field, snippet}`` highlights (HTML-escaped, ``<mark>``) to ``hit`` from a
    :func:`highlight_request` hit's ``highlight``, in :data:`TEXT_FIELDS` order."""
    for field in TEXT_FIELDS:
        if fragments.get(field) and field not in NO_HIGHLIGHT:
            text = fragments[field][0].replace(OPEN, "").replace(CLOSE, "")
            text = fold_identifier_parts(text.replace(HL_OPEN, OPEN).replace(HL_CLOSE, CLOSE))
            hit.highlights.append({"field": field, "snippet": mark(text, OPEN, CLOSE)})


def suggest_request(prefix: str, words: list[str], limit: int) -> dict:
    """Autocomplete: names starting with ``prefix`` (qualified names too when it holds
    ``.`` or ``/``), or names holding its words with the last one as a prefix."""
    should: list[dict] = [{"prefix": {"name_lc": prefix}}]
    if "." in prefix or "/" in prefix:
        should.append({"prefix": {"qn_lc": prefix}})
    if words:
        must = [{"match": {"name": w}} for w in words[:-1]]
        must.append({"prefix": {"name": words[-1]}})
        should.append({"bool": {"must": must}})
    return {
        "size": limit * 5,
        "_source": ["display", "name_lc", "popularity"],
        "query": {"bool": {"should": should, "minimum_should_match": 1}},
        "sort": [{"_score": "desc"}, {"popularity": "desc"}, {"name_lc": "asc"}],
    }
