"""Read side of the SQLite FTS5 backend: match expressions, top-k ranking, counts, facets.

Everything here is bounded so a query costs about the same on 1,000 and 1,000,000
assets (measured by ``benchmarks/bench_search.py``):

- **Ranking without ranking everything.** Hits come in tiers: (0) exact name /
  qualified-name / URN matches, found through the B-tree indexes of ``docs_g``; (1)
  documents whose name or qualified name matches, then (2) the other matches. Inside a
  tier the order is ``bm25`` (field weights) × popularity boost, computed over at most
  :data:`CANDIDATES` matches (FTS5 yields matches in rowid order; a tier with more
  matches is ranked over its first ``CANDIDATES``, or ``offset + page size`` for deep
  pages). So a name match always ranks above a field or description match, which is the
  weight order of :data:`catalog.search.base.FIELD_WEIGHTS` made strict. bm25's idf
  pass reads every posting of every query term, so when the query's words are common
  (more than :data:`BM25_BUDGET` postings, :func:`postings`) a tier is ordered by
  popularity boost, then shorter name (closest to the query) instead.
- **Facet filters** are FTS5 terms: each document's facet values are indexed as
  :func:`facet_key` tokens in a zero-weight column, so a filter is a doclist
  intersection inside FTS5, not a per-row SQL check.
- **Counts** are exact up to :data:`COUNT_CAP` matches; above, the count is extrapolated
  from the rowid where the capped scan stopped (``cap × max rowid / rowid of the cap-th
  match``: rowids follow indexing order, which is unrelated to content) and flagged
  ``count_approximate``.
- **Facets** count the values of the first :data:`FACET_SAMPLE` matches, scaled to the
  (estimated) count when there are more (``facets_approximate``).
- **Typos**: an unknown word is replaced by at most :data:`~catalog.search.base.MAX_CORRECTIONS` indexed terms
  within :func:`~catalog.search.base.max_edits` edits, closest first, then most frequent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict

from catalog.search.base import (
    CORE_FACETS,
    FACETS,
    FIELD_WEIGHTS,
    MAX_FACET_VALUES,
    QueryPlan,
    SearchHit,
    SearchQuery,
    mark,
    max_edits,
    plan_query,
    split_identifier,
    trigrams,
)

COLUMNS = tuple(FIELD_WEIGHTS)
#: the last FTS column holds one token per facet value (:func:`facet_key`), weight 0
FACET_COLUMN = "facet_keys"
FTS_COLUMNS = (*COLUMNS, FACET_COLUMN)
WEIGHTS = ", ".join([*(str(w) for w in FIELD_WEIGHTS.values()), "0.0"])
NAME_COLUMNS = "{name qualified_name}"
#: FTS columns never reported as highlights (platform, type, owners... packed together)
NO_HIGHLIGHT = {"other"}
OPEN, CLOSE = "\x02", "\x03"
_PREFIX_RE = re.compile(r'"([^"]+)"\*')
#: separators of the packed facet values of a document (``dfacets_g.packed``)
KEY_SEP, PAIR_SEP = "\x1e", "\x1f"
#: matches ranked per tier (more only for pages beyond it)
CANDIDATES = 200
#: exact counts up to this many matches, estimated above
COUNT_CAP = 2000
#: facet counts come from at most this many matches (scaled when there are more)
FACET_SAMPLE = 1000
#: bm25 ranks a query whose words have at most this many postings (see :func:`postings`)
BM25_BUDGET = 20_000
#: exact-match rows considered (a name shared by more assets ranks the first ones)
MAX_EXACT = 1000


def match_expression(plan: QueryPlan, op: str) -> str | None:
    """The FTS5 MATCH text of a query plan: known words as they are; the words to expand
    OR'ed with their prefix and their typo corrections; all quoted (no query syntax)."""
    if not plan.words:
        return None
    parts = []
    for word in plan.words:
        if word not in plan.expand:
            parts.append(f'"{word}"')
            continue
        options = [f'"{word}"', f'"{word}"*', *(f'"{t}"' for _, t in plan.fixes.get(word, []))]
        parts.append("(" + " OR ".join(options) + ")")
    return f" {op} ".join(parts)


def plan(conn, g: int, text: str) -> QueryPlan:
    """The shared query plan of ``text`` (:func:`catalog.search.base.plan_query`) with
    this generation's vocabulary: FTS5 lookups and the trigram table."""
    return plan_query(
        text,
        known=lambda words: {w for w in words if _indexed(conn, g, w)},
        candidates=lambda words: {w: typo_candidates(conn, g, w) for w in words},
    )


def _indexed(conn, g: int, word: str) -> bool:
    """Whether some document holds ``word`` (as FTS5 stems it: ``orders`` finds ``order``)."""
    return bool(
        conn.execute(
            f"SELECT 1 FROM fts_{g} WHERE fts_{g} MATCH ? LIMIT 1", (f'"{word}"',)
        ).fetchone()
    )


def typo_candidates(conn, g: int, word: str) -> list[tuple[str, int]]:
    """``(term, documents holding it)`` of indexed terms that share enough character
    trigrams with ``word`` to be within :func:`max_edits` of it (at most 300; the plan
    keeps those within the edit distance, see
    :func:`catalog.search.base.choose_corrections`)."""
    edits = max_edits(word)
    if not edits:
        return []
    grams = sorted(trigrams(word))
    need = max(1, len(grams) - 3 * edits)
    return conn.execute(
        f"SELECT g.term, t.df FROM (SELECT term, count(*) AS c FROM grams_{g}"
        f" WHERE gram IN ({','.join('?' * len(grams))}) GROUP BY term HAVING c >= ?"
        f" ORDER BY c DESC LIMIT 300) g JOIN terms_{g} t ON t.term = g.term",
        (*grams, need),
    ).fetchall()


def postings(conn, g: int, words: list[str], fixes: dict) -> int:
    """About how many documents hold the query's words (their stem families: indexed
    terms starting with the word less its last two letters) and their corrections: the
    work of bm25's idf pass, which reads every posting of every term."""
    total = 0
    for word in {*words, *(t for options in fixes.values() for _, t in options)}:
        stem = word[: max(3, len(word) - 2)]
        total += conn.execute(
            f"SELECT coalesce(sum(df), 0) FROM terms_{g} WHERE term >= ? AND term < ?",
            (stem, stem + "\uffff"),
        ).fetchone()[0]
    return total


def facet_key(facet: str, value: str) -> str:
    """The token standing for ``facet = value`` in the ``facet_keys`` FTS column: ``zf``
    and 19–20 digits of a 64-bit BLAKE2b hash (digits: no stemming, no query syntax)."""
    digest = hashlib.blake2b(f"{facet}\x00{value}".encode(), digest_size=8).digest()
    return f"zf{int.from_bytes(digest, 'big')}"


def full_expression(match: str | None, filters: dict, skip: str | None = None) -> str | None:
    """``match`` AND every facet filter but ``skip``'s, as one FTS5 expression (filters
    become doclist intersections inside FTS5 instead of per-row SQL checks), or None
    when there is neither text nor filter."""
    parts = [f"({match})"] if match else []
    for facet, values in filters.items():
        if facet != skip:
            # facet keys occur only in their column: no column filter (no position reads)
            parts.append("(" + " OR ".join(facet_key(facet, v) for v in values) + ")")
    return " AND ".join(parts) or None


def probe_conditions(g: int, filters: dict, col: str) -> tuple[list[str], list]:
    """SQL conditions checking ``filters`` for the document id ``col`` through the
    ``(facet, value, doc)`` primary key (for a few rows, or rows in another order)."""
    sql, params = [], []
    for facet, values in filters.items():
        sql.append(
            f"EXISTS (SELECT 1 FROM facets_{g} WHERE facet = ? AND value IN"
            f" ({','.join('?' * len(values))}) AND doc = {col})"
        )
        params += [facet, *values]
    return sql, params


def sample_and_count(
    conn, g: int, filters: dict, match, skip=None, cap: int | None = None
) -> tuple[list[int], int, bool]:
    """``(first ids, count, approximate)``: up to :data:`COUNT_CAP` + 1 matching ids in
    rowid order and the count: exact up to the cap (or when browsing with one facet
    filter: the stored totals), estimated above it by extrapolating from the rowid of
    the cap-th match (rowids follow indexing order, unrelated to content)."""
    cap = cap or COUNT_CAP
    expression = full_expression(match, filters, skip)
    if expression is None:
        return [], conn.execute(f"SELECT count(*) FROM docs_{g}").fetchone()[0], False
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT rowid FROM fts_{g} WHERE fts_{g} MATCH ? LIMIT {cap + 1}",
            [expression],
        )
    ]
    if len(ids) <= cap:
        return ids, len(ids), False
    active = {f: v for f, v in filters.items() if f != skip}
    if not match and len(active) == 1:
        ((facet, values),) = active.items()
        total = conn.execute(
            f"SELECT coalesce(sum(n), 0) FROM totals_{g} WHERE facet = ? AND value IN"
            f" ({','.join('?' * len(values))})",
            [facet, *values],
        ).fetchone()[0]
        return ids, total, False
    low, high = conn.execute(  # two subqueries: each is one B-tree descent
        f"SELECT (SELECT min(id) FROM docs_{g}), (SELECT max(id) FROM docs_{g})"
    ).fetchone()
    seen = max(1, ids[cap - 1] - low + 1)
    return ids, max(cap + 1, round(cap * (high - low + 1) / seen)), True


def ranked_hits(
    conn,
    g: int,
    query: SearchQuery,
    match,
    exact: dict[str, int],
    sample: list[int],
    count: int,
    postings: int = 0,
    stems: list[list[str]] | None = None,
) -> list[SearchHit]:
    """The page of ``query``: exact tier, name tier, other matches (see module doc).
    ``sample`` / ``count`` come from :func:`sample_and_count` (when the sample holds
    every match, it is ranked directly); ``postings`` from :func:`postings`, ``stems``
    from :func:`word_stems`."""
    need = query.offset + query.page_size
    cols = "d.urn, d.name, d.type, d.platform, d.description, d.qualified_name, d.id"
    if not match:
        sql = f"SELECT {cols}, 0, d.boost FROM docs_{g} d"
        params: list = []
        if query.filters and len(sample) >= count:  # every match is in the sample
            sql += " WHERE d.id IN (SELECT value FROM json_each(?))"
            params = [json.dumps(sample)]
        elif query.filters:  # a large share of the catalog: the page fills quickly
            where, params = probe_conditions(g, query.filters, "d.id")
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.boost DESC, d.name_lc LIMIT ? OFFSET ?"
        rows = conn.execute(sql, [*params, query.page_size, query.offset]).fetchall()
        return [_hit(r) for r in rows]
    rows: list[tuple] = []
    seen: set[int] = set()
    # tier 0: exact name / qualified name / URN (B-tree lookups, no full-text work)
    if exact:
        marks = ",".join("?" * len(exact))
        where, params = probe_conditions(g, query.filters, "d.id")
        cond = " AND ".join(where) or "1"
        candidates = conn.execute(
            f"SELECT {cols}, d.name_lc, d.qn_lc, d.boost FROM docs_{g} d WHERE d.id IN"
            f" (SELECT id FROM docs_{g} WHERE name_lc IN ({marks}) UNION SELECT id FROM docs_{g}"
            f" WHERE qn_lc IN ({marks}) UNION SELECT id FROM docs_{g} WHERE urn = ?) AND {cond}"
            f" LIMIT {MAX_EXACT}",
            [*exact, *exact, query.text, *params],
        ).fetchall()
        for row in candidates:
            level = max(exact.get(row[7], 0), exact.get(row[8], 0), 3 * (row[0] == query.text))
            rows.append((*row[:7], level, row[9]))
        rows.sort(key=lambda r: (-r[7], -r[8], len(r[5]), r[5]))
        seen.update(r[6] for r in rows)
    # tier 1: name or qualified name matches; tier 2: the other matches (tier 1 excluded)
    if postings > BM25_BUDGET and len(sample) >= count and stems:
        # every match is already known and its terms are common: order it here rather
        # than scanning the long doclists again
        known = conn.execute(
            f"SELECT d.id, d.boost / (1.0 + length(d.name) / 64.0), d.name_lc, d.qn_lc"
            f" FROM json_each(?) j CROSS JOIN docs_{g} d ON d.id = j.value",
            [json.dumps(sample)],
        ).fetchall()
        known.sort(key=lambda r: (-r[1], r[2]))
        in_name = [
            all(any(x in r[2] or x in r[3] for x in options) for options in stems) for r in known
        ]
        ranked = [r for r, name in zip(known, in_name, strict=True) if name]
        ranked += [r for r, name in zip(known, in_name, strict=True) if not name]
        ranked = [r for r in ranked if r[0] not in seen]
        page = ranked[max(0, query.offset - len(rows)) : max(0, need - len(rows))]
        full = {
            r[6]: r
            for r in conn.execute(
                f"SELECT {cols}, 0, 0 FROM docs_{g} d WHERE d.id IN ({','.join('?' * len(page))})",
                [r[0] for r in page],
            )
        }
        rows = rows[query.offset : need] + [(*full[r[0]][:8], r[1]) for r in page if r[0] in full]
        return [_hit(r) for r in rows]
    for expression in (f"{NAME_COLUMNS} : ({match})", match):
        if len(rows) >= need:
            break
        limit = max(CANDIDATES, need + len(seen))
        expression = full_expression(expression, query.filters)
        tier = _rank(conn, g, expression, limit, bm25=postings <= BM25_BUDGET)
        rows += [r for r in tier if r[6] not in seen]
        seen.update(r[6] for r in tier)
    return [_hit(r) for r in rows[query.offset : need]]


def _unique(rows: list[tuple]) -> list[tuple]:
    """``rows`` without repeated document ids (the first one stays)."""
    seen: set[int] = set()
    return [r for r in rows if not (r[6] in seen or seen.add(r[6]))]


def word_stems(words: list[str], fixes: dict) -> list[list[str]]:
    """Per query word, the lower-case stems (word less up to two trailing letters, at
    least 3) of the word and its corrections: a name holding one of them as a substring
    matches that word (a cheap stand-in for FTS5's porter stemming, used to order)."""
    return [
        sorted({w[: max(3, len(w) - 2)] for w in (word, *(t for _, t in fixes.get(word, [])))})
        for word in words
    ]


def _rank(conn, g, expression: str, limit: int, bm25: bool) -> list[tuple]:
    """Rows ``(urn, name, type, platform, description, qualified_name, id, 0, score)`` of
    the first ``limit`` matches (rowid order) of ``expression``, best first: by bm25 ×
    boost, or (``bm25=False``) by boost then shorter name (closest to the query)."""
    if bm25:
        score, inner = "-m.r * d.boost", f"rowid AS id, bm25(fts_{g}, {WEIGHTS}) AS r"
    else:
        score, inner = "d.boost / (1.0 + length(d.name) / 64.0)", "rowid AS id"
    sql = (
        f"SELECT d.urn, d.name, d.type, d.platform, d.description, d.qualified_name, d.id,"
        f" 0, {score} FROM (SELECT {inner} FROM fts_{g} WHERE fts_{g} MATCH ? LIMIT ?) m"
        f" JOIN docs_{g} d ON d.id = m.id"
    )
    rows = conn.execute(sql, [expression, limit]).fetchall()
    rows.sort(key=lambda r: (-r[8], r[1].lower()))
    return rows


def _hit(row) -> SearchHit:
    urn, name, typ, platform, desc, qn, doc_id, exact, score = row
    hit = SearchHit(
        urn=urn,
        name=name,
        type=typ,
        platform=platform,
        description=desc,
        qualified_name=qn,
        score=float(score) + 1000.0 * exact,
        exact=bool(exact),
    )
    hit._id = doc_id
    return hit


def facet_counts(conn, g, query: SearchQuery, match, sample: list[int], count: int):
    """``({facet: [(value, count)]}, approximate)``: disjunctive facet counts (a filtered
    facet ignores its own filter) over ``sample`` (the first matching ids, see
    :func:`sample_and_count`) scaled to ``count``, or the stored totals when browsing."""
    approximate = False
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    plain = [f for f in FACETS if f not in query.filters]
    groups: list[tuple[list[str], str | None]] = [(plain, None)] if plain else []
    groups += [([f], f) for f in query.filters]
    for facets, skip in groups:
        if not match and not (query.filters.keys() - {skip}):
            rows = conn.execute(f"SELECT facet, value, n FROM totals_{g}").fetchall()
        else:
            if skip is None:
                ids, total = sample, count
            else:
                # counts of a filtered facet's other values: a smaller sample
                ids, total, _ = sample_and_count(
                    conn, g, query.filters, match, skip, cap=FACET_SAMPLE // 2
                )
            ids = ids[:FACET_SAMPLE]
            packed = conn.execute(
                f"SELECT group_concat(d.packed, ?) FROM json_each(?) j"
                f" CROSS JOIN dfacets_{g} d ON d.id = j.value",
                [PAIR_SEP, json.dumps(ids)],
            ).fetchone()[0]
            tally = Counter((packed or "").split(PAIR_SEP))
            tally.pop("", None)
            wanted = set(facets)
            rows = [(*pair.split(KEY_SEP, 1), n) for pair, n in tally.items()]
            rows = [r for r in rows if r[0] in wanted]
            if total > len(ids):  # estimate from a sample of the matches
                approximate = True
                scale = total / max(1, len(ids))
                rows = [(f, v, max(1, round(n * scale))) for f, v, n in rows]
        for facet, value, n in rows:
            if facet in facets:
                counts[facet][value] = n
    out = {}
    for facet in FACETS:
        values = counts.get(facet, {})
        if not values and facet not in CORE_FACETS:
            continue
        top = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES]
        chosen = {v for v, _ in top}
        top += [(v, values.get(v, 0)) for v in query.filters.get(facet, []) if v not in chosen]
        out[facet] = top
    return out, approximate


def _completions(conn, g: int, prefix: str, limit: int = 8) -> str:
    """``("t1" OR "t2" ...)``: the ``limit`` most frequent indexed terms starting with
    ``prefix`` (the prefix itself when none)."""
    terms = [
        r[0]
        for r in conn.execute(
            f"SELECT term FROM terms_{g} WHERE term >= ? AND term < ? ORDER BY df DESC LIMIT ?",
            (prefix, prefix + "\uffff", limit),
        )
    ] or [prefix]
    return "(" + " OR ".join(f'"{t}"' for t in terms) + ")"


def highlight(conn, g: int, match: str, hits: list[SearchHit]) -> None:
    """Add ``{field, snippet}`` highlights (HTML-escaped, ``<mark>``) to ``hits``."""
    cols = ", ".join(
        f"snippet(fts_{g}, {i}, '{OPEN}', '{CLOSE}', '…', 12)" for i in range(len(COLUMNS))
    )
    ids = [h._id for h in hits]
    # FTS5 expands a prefix term into a merged doclist for each rowid looked up, so the
    # prefix terms become their most frequent indexed completions here
    match = _PREFIX_RE.sub(lambda m: _completions(conn, g, m.group(1)), match)
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            f"SELECT rowid, {cols} FROM fts_{g} WHERE fts_{g} MATCH ? AND rowid IN"
            f" ({','.join('?' * len(ids))})",
            [match, *ids],
        )
    }
    for hit in hits:
        for column, text in zip(COLUMNS, rows.get(hit._id, ()), strict=False):
            if text and OPEN in text and column not in NO_HIGHLIGHT:
                text = fold_identifier_parts(text)
                hit.highlights.append({"field": column, "snippet": mark(text, OPEN, CLOSE)})


def fold_identifier_parts(snippet: str) -> str:
    """Drop from a snippet the camelCase parts that :func:`with_parts` indexed after each
    identifier, moving a match in a part onto the identifier:
    ``"\x02Customer\x03Id Customer Id"`` and ``"CustomerId \x02Customer\x03 Id"`` both
    become ``"\x02CustomerId\x03"`` (``\x02``/``\x03`` are the match marks)."""
    words = snippet.split(" ")
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        plain = word.replace(OPEN, "").replace(CLOSE, "")
        parts = split_identifier(plain).split() if plain != plain.lower() else []
        following = words[i + 1 : i + 1 + len(parts)]
        # the snippet may end inside the parts: "BillingAddress Billing Address…"
        plain_following = [w.replace(OPEN, "").replace(CLOSE, "").rstrip("…") for w in following]
        if len(parts) > 1 and plain_following == parts:
            marked = OPEN in word or any(OPEN in w for w in following)
            tail = "…" if following[-1].endswith("…") else ""
            out.append((f"{OPEN}{plain}{CLOSE}" if marked else plain) + tail)
            i += 1 + len(parts)
            continue
        out.append(word)
        i += 1
    return " ".join(out)
