"""The search backend interface and the query logic every backend shares.

A backend stores *documents* (denormalised assets, see :mod:`catalog.search.documents`)
and answers :class:`SearchQuery` with :class:`SearchResults`. The shape of a document::

    {"urn": str, "name": str, "qualified_name": str, "type": str, "kind": str,
     "platform": str, "namespace": str, "description": str,
     "field_names": [str], "field_descriptions": [str],
     "tags": [str], "owners": [str], "sources": [str], "popularity": float,
     "domain": [str], "data_product": [str], "glossary": [str], "glossary_text": [str],
     "classification": [str]}

Ranking contract (every backend, checked by ``tests/catalog/test_search_contract.py``):

1. an exact, case-insensitive match of the whole query with the name or the qualified
   name comes first;
2. then relevance with field weights (:data:`FIELD_WEIGHTS`: name > qualified name >
   field names > tags > description), multiplied by :func:`popularity_boost`;
3. typo tolerance: a query term that is not in the index vocabulary is replaced by the
   indexed terms within :func:`max_edits` edits (Levenshtein), and also tried as a prefix.

Facets (:data:`FACETS`) are multi-valued; a filter ORs values within a facet and ANDs
facets. Facet counts are *disjunctive*: the counts of a facet ignore that facet's own
filter, so a UI can show every checkbox of a facet with the count it would add.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

FACETS: tuple[str, ...] = (
    "type",
    "platform",
    "source",
    "owner",
    "tag",
    "domain",
    "data_product",
    "glossary",
    "classification",
)
#: facets always reported (the others only when some document has a value)
CORE_FACETS: tuple[str, ...] = ("type", "platform", "source", "owner", "tag")
#: document key holding each facet's values
FACET_KEYS: dict[str, str] = {
    "type": "type",
    "platform": "platform",
    "source": "sources",
    "owner": "owners",
    "tag": "tags",
    "domain": "domain",
    "data_product": "data_product",
    "glossary": "glossary",  # glossary term names (governance enricher)
    "classification": "classification",  # personal-data classes, sensitivity (governance)
}
#: document keys whose words are searchable in the ``other`` text field (the facet
#: values above, plus ``glossary_text``: term names and synonyms)
OTHER_TEXT_KEYS: tuple[str, ...] = (
    "owners",
    "sources",
    "domain",
    "data_product",
    "glossary_text",
    "classification",
)
#: full-text fields and their relevance weights (higher is more important)
FIELD_WEIGHTS: dict[str, float] = {
    "name": 10.0,
    "qualified_name": 5.0,
    "field_names": 4.0,
    "tags": 3.0,
    "description": 1.5,
    "field_descriptions": 0.75,
    "other": 1.0,  # platform, type, owners, sources, domain, data product
}
MAX_PAGE_SIZE = 100
MAX_FACET_VALUES = 25
#: typo corrections used per unknown word
MAX_CORRECTIONS = 3
#: rank levels of the exact tier (see :func:`exact_variants`): typed text, one edit, ...
EXACT_LEVELS = (3, 2, 1)
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
_TOKEN_RE = re.compile(r"[^\W_]+")
_WORD_RE = re.compile(r"[A-Za-z0-9]+")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class SearchError(ValueError):
    """A search request that cannot be answered: bad page, unknown facet, bad size."""


class SearchUnavailable(RuntimeError):
    """The search engine cannot answer right now (a cluster down or refusing); the
    message names the engine and the reason, never its address or credentials."""


@dataclass
class SearchQuery:
    """What to search for.

    ``text`` is free text (may be empty: browse everything); ``filters`` maps a facet
    name of :data:`FACETS` to accepted values; ``page`` is 1-based; ``page_size`` at
    most :data:`MAX_PAGE_SIZE`.
    """

    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        self.text = (self.text or "").strip()
        clean: dict[str, list[str]] = {}
        for name, values in (self.filters or {}).items():
            if name not in FACETS:
                raise SearchError(
                    f"filter '{name}': unknown facet (use one of {', '.join(FACETS)})"
                )
            if isinstance(values, str):
                values = [values]
            kept = sorted({v for v in values if v not in ("", None)})
            if kept:
                clean[name] = kept
        self.filters = clean
        if not isinstance(self.page, int) or self.page < 1:
            raise SearchError(f"page: must be a positive integer, got {self.page!r}")
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise SearchError(
                f"page_size: must be between 1 and {MAX_PAGE_SIZE}, got {self.page_size!r}"
            )

    @property
    def offset(self) -> int:
        """Index of the first hit of the page in the whole ranking."""
        return (self.page - 1) * self.page_size


@dataclass
class SearchHit:
    """One result: ``highlights`` is ``[{"field": str, "snippet": str}]`` where the
    snippet is HTML-escaped text with ``<mark>`` around matched terms; ``score`` is higher
    for better hits (not comparable across queries)."""

    urn: str
    name: str
    type: str
    platform: str
    description: str
    qualified_name: str = ""
    highlights: list[dict[str, str]] = field(default_factory=list)
    score: float = 0.0
    exact: bool = False

    def as_dict(self) -> dict:
        """The API shape of a hit."""
        return {
            "urn": self.urn,
            "name": self.name,
            "type": self.type,
            "platform": self.platform,
            "qualified_name": self.qualified_name,
            "description": self.description,
            "highlights": self.highlights,
            "score": round(self.score, 4),
        }


@dataclass
class SearchResults:
    """A page of hits, the total ``count``, facet counts ``{facet: [(value, count)]}``
    (largest first) and ``corrections`` ``{typed term: [indexed terms used instead]}``."""

    count: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]
    corrections: dict[str, list[str]] = field(default_factory=dict)
    facets_approximate: bool = False
    count_approximate: bool = False

    def as_dict(self) -> dict:
        """``{count, results: [hit], facets: {name: [{value, count}]}, corrections,
        facets_approximate, count_approximate}`` (the flags are true when facet counts /
        the total count were estimated, for very large result sets)."""
        return {
            "count": self.count,
            "results": [h.as_dict() for h in self.hits],
            "facets": {
                name: [{"value": v, "count": c} for v, c in values]
                for name, values in self.facets.items()
            },
            "corrections": self.corrections,
            "facets_approximate": self.facets_approximate,
            "count_approximate": self.count_approximate,
        }


class SearchBackend:
    """A search index of asset documents.

    Subclasses take their settings options as lower-case keyword arguments (e.g.
    ``path=...``) and implement every method below; ``tests/catalog/test_search_contract.py``
    defines the behaviour they must pass.
    """

    def index_documents(self, docs: Iterable[dict]) -> int:
        """Add or replace documents (keyed by ``urn``); returns how many were written."""
        raise NotImplementedError

    def delete(self, urns: Iterable[str]) -> int:
        """Remove documents by URN (unknown URNs are ignored); returns how many went."""
        raise NotImplementedError

    def search(self, query: SearchQuery) -> SearchResults:
        """Run ``query``: ranked page of hits, total count, facet counts."""
        raise NotImplementedError

    def suggest(self, prefix: str, limit: int = 10) -> list[dict]:
        """Autocomplete: up to ``limit`` ``{urn, name, qualified_name, type, platform}``
        whose name (or a word of it) starts with ``prefix``, exact name first."""
        raise NotImplementedError

    def rebuild(self, docs: Iterable[dict]) -> int:
        """Replace the whole index by ``docs``, built aside then swapped atomically
        (searches during the rebuild see the old index); returns documents written."""
        raise NotImplementedError

    def count(self) -> int:
        """Number of documents in the index."""
        raise NotImplementedError

    def clear(self) -> None:
        """Remove every document."""
        raise NotImplementedError


# -- shared helpers ------------------------------------------------------------------
def split_identifier(text: str) -> str:
    """``"InvoiceLine stg_customers"`` → ``"Invoice Line stg customers"``: camelCase and
    snake_case parts become words, so ``invoice`` finds ``InvoiceLine``."""
    return _CAMEL_RE.sub(" ", text or "").replace("_", " ")


def with_parts(text: str) -> str:
    """``text`` followed by the words of its camelCase identifiers (for indexing):
    ``"InvoiceLine"`` → ``"InvoiceLine Invoice Line"``; snake_case needs nothing since
    the tokenizer already splits on ``_``."""
    if not text or text.islower():  # no capital letter, no camelCase (the common case)
        return text or ""
    parts = [split_identifier(w) for w in _WORD_RE.findall(text or "") if _CAMEL_RE.search(w)]
    return " ".join([text or "", *parts]) if parts else text or ""


def tokens(text: str) -> list[str]:
    """Lower-case word tokens the way FTS5's ``unicode61`` tokenizer splits them."""
    return _TOKEN_RE.findall((text or "").lower())


def document_terms(doc: dict) -> set[str]:
    """The vocabulary of a document used for typo correction (names, fields, tags)."""
    text = " ".join(
        [
            with_parts(doc.get("name", "")),
            with_parts(doc.get("qualified_name", "")),
            *(with_parts(f) for f in doc.get("field_names", [])),
            *doc.get("tags", []),
            doc.get("description", "")[:2000],
        ]
    )
    return {t for t in tokens(text) if 3 <= len(t) <= 40 and not t.isdigit()}


def facet_values(doc: dict) -> Iterator[tuple[str, str]]:
    """``(facet, value)`` pairs of a document, one per value of every facet."""
    for facet, key in FACET_KEYS.items():
        value = doc.get(key)
        values = value if isinstance(value, list | tuple | set) else [value]
        for v in values:
            if v not in (None, ""):
                yield facet, str(v)


def popularity_boost(popularity: float) -> float:
    """Relevance multiplier for a popularity score (≥ 0): ``1 + ln(1 + p) / 10``."""
    return 1.0 + math.log1p(max(popularity or 0.0, 0.0)) / 10.0


def prominence(doc: dict) -> float:
    """A small prior in [0, 0.05] that breaks ties between equally relevant hits.

    Until usage metrics feed ``popularity``, an exact name shared by several assets (the
    jaffle ``customers`` table, its dbt build job, a pipeline's ``public.customers``)
    needs an order users expect: datasets before dashboards before jobs, then assets
    that more sources describe, that are documented, have columns and belong to a data
    product. It stays below what one unit of popularity adds (ln 2 / 10 ≈ 0.069).
    """
    score = {"dataset": 0.03, "dashboard": 0.02}.get(doc.get("kind", "dataset"), 0.0)
    score += 0.005 * min(len(doc.get("sources") or ()), 3)
    score += 0.005 * bool(doc.get("description"))
    score += 0.003 * bool(doc.get("field_names"))
    score += 0.002 * bool(doc.get("data_product"))
    return min(score, 0.05)


def document_boost(doc: dict) -> float:
    """The relevance multiplier of an index document: popularity boost plus prominence."""
    return popularity_boost(doc.get("popularity")) + prominence(doc)


def max_edits(term: str) -> int:
    """Edits allowed when correcting a term: 0 below 4 chars, 1 up to 5, else 2."""
    return 0 if len(term) < 4 else 1 if len(term) <= 5 else 2


def levenshtein(a: str, b: str, limit: int = 2) -> int:
    """Edit distance of ``a`` and ``b`` (insert, delete, substitute); stops early and
    returns ``limit + 1`` once the distance is sure to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def trigrams(term: str) -> set[str]:
    """Padded character trigrams of a term (``"cust"`` → ``{" cu", "cus", "ust", "st "}``)."""
    padded = f" {term} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def mark(text: str, open_mark: str, close_mark: str) -> str:
    """HTML-escape ``text`` and turn the private marks around matches into ``<mark>``."""
    return html.escape(text).replace(open_mark, MARK_OPEN).replace(close_mark, MARK_CLOSE)


# -- the query plan every backend compiles ---------------------------------------------
@dataclass
class QueryPlan:
    """What a backend must do for a query text, independent of the engine.

    - ``words``: the query's tokens (:func:`tokens`); every word must match (AND), and
      when nothing matches, a backend retries with any word (OR);
    - ``expand``: the words that are not in the index vocabulary (see :func:`plan_query`):
      a backend matches each of them as itself, as a prefix, or as one of its
      ``fixes[word]`` (typo corrections, ``[(edit distance, indexed term)]``, closest
      first);
    - ``exact``: the texts that put a document in the exact tier when its lower-cased
      name or qualified name equals one (or its URN equals the query text), with their
      rank level (:func:`exact_variants`).

    Ranking tiers: exact (by level, then document boost, then shorter qualified name),
    then documents whose name or qualified name matches every word, then the other
    matches; inside a tier, weighted relevance (:data:`FIELD_WEIGHTS`) × document boost.
    Facets are disjunctive (a facet's counts ignore its own filter).
    """

    text: str
    words: list[str]
    expand: list[str]
    fixes: dict[str, list[tuple[int, str]]]
    exact: dict[str, int]

    @property
    def corrections(self) -> dict[str, list[str]]:
        """``{typed word: [indexed terms used instead]}`` as reported to users."""
        return {w: [t for _, t in f] for w, f in self.fixes.items()}


def may_need_correction(word: str) -> bool:
    """Whether a query word is checked against the vocabulary at all (numbers and words
    under 3 characters are always matched as typed)."""
    return not (word.isdigit() or len(word) < 3)


def choose_corrections(word: str, candidates: Iterable[tuple[str, int]]) -> list[tuple[int, str]]:
    """``[(distance, term)]``: the indexed ``candidates`` ``(term, documents holding it)``
    within :func:`max_edits` of ``word``: the closest, then the most frequent, then
    alphabetical, at most :data:`MAX_CORRECTIONS`."""
    edits = max_edits(word)
    if not edits:
        return []
    scored = []
    for term, df in candidates:
        distance = levenshtein(word, term, edits)
        if distance <= edits:
            scored.append((distance, -(df or 0), term))
    return [(distance, term) for distance, _, term in sorted(scored)[:MAX_CORRECTIONS]]


def plan_query(
    text: str,
    known: Callable[[list[str]], set[str]],
    candidates: Callable[[list[str]], dict[str, list[tuple[str, int]]]],
) -> QueryPlan:
    """The :class:`QueryPlan` of ``text``. ``known(words)`` returns the words an engine
    finds in its index (as it stems them); ``candidates(words)`` returns, per unknown
    word, indexed terms ``(term, document count)`` that may be within two edits of it
    (the engine's trigram table, term suggester, ...); both get only the words that
    need them, and are not called for an empty list."""
    words = tokens(text)
    checked = [w for w in dict.fromkeys(words) if may_need_correction(w)]
    found = known(checked) if checked else set()
    expand = [w for w in checked if w not in found]
    wanted = [w for w in expand if max_edits(w)]
    options = candidates(wanted) if wanted else {}
    fixes = {}
    for word in expand:
        chosen = choose_corrections(word, options.get(word, ()))
        if chosen:
            fixes[word] = chosen
    return QueryPlan(
        text=text, words=words, expand=expand, fixes=fixes, exact=exact_variants(text, fixes)
    )


def exact_variants(text: str, fixes: dict[str, list[tuple[int, str]]]) -> dict[str, int]:
    """Texts that count as an exact name match, with their rank level: the query itself
    (3), then the query with one typo replaced by a correction (3 - edit distance), then
    the singular or plural of each of those (one level lower, at least 1), so
    ``customer`` finds a table named ``customers`` right after one named ``Customer``."""
    lowered = text.strip().lower()
    variants = {lowered: 3} if lowered else {}
    for word, options in fixes.items():
        for distance, term in options:
            variant = re.sub(rf"\b{re.escape(word)}\b", term, lowered)
            variants.setdefault(variant, 3 - distance)
    for variant, level in list(variants.items()):
        other = variant[:-1] if variant.endswith("s") and len(variant) > 3 else variant + "s"
        variants.setdefault(other, max(level - 1, 1))
    return dict(sorted(variants.items(), key=lambda kv: -kv[1]))
