"""The embedded search backend: SQLite FTS5 in its own file, whatever the primary DB is.

Layout of the index file (``settings.MESH_SEARCH[alias]["PATH"]``), every table suffixed
with a *generation* number kept in ``meta``; a rebuild writes generation ``g + 1`` beside
the live one and switches ``meta`` in one transaction (readers in WAL mode keep their
snapshot), then drops generation ``g``:

- ``docs_g``: one row per asset (urn, display fields, lower-cased name / qualified name
  for exact matching and autocomplete, popularity and its relevance ``boost``);
- ``fts_g``: FTS5 table (porter stemming over unicode61) with one column per entry of
  :data:`catalog.search.base.FIELD_WEIGHTS`, ranked with ``bm25`` and those weights;
- ``facets_g`` ``(facet, value, doc)`` and ``totals_g`` (counts over all documents, kept
  up to date incrementally so browsing a million assets needs no full scan);
- ``terms_g`` / ``grams_g``: the vocabulary (with the number of documents holding each
  term, exact after a rebuild, a lower bound after incremental writes) and its character
  trigrams, for typo correction (trigram candidates, then Levenshtein ≤ 2).

Reading is in :mod:`catalog.search.sqlite_query` (bounded top-k ranking, capped counts,
sampled facets).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from catalog.search.base import (
    OTHER_TEXT_KEYS,
    SearchBackend,
    SearchQuery,
    SearchResults,
    document_boost,
    document_terms,
    facet_values,
    tokens,
    trigrams,
    with_parts,
)
from catalog.search.sqlite_query import (
    FACET_COLUMN,
    FTS_COLUMNS,
    KEY_SEP,
    PAIR_SEP,
    facet_counts,
    facet_key,
    highlight,
    match_expression,
    plan,
    postings,
    ranked_hits,
    sample_and_count,
    word_stems,
)

CHUNK = 500
FTS_OPTIONS = "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'"
#: documents per transaction when rebuilding
REBUILD_BATCH = 5000


def _fts_row(doc: dict) -> tuple[str, ...]:
    """The text of each FTS column for a document (identifiers also split into words)."""
    other = " ".join(
        [
            doc.get("platform", ""),
            doc.get("type", ""),
            *(v for key in OTHER_TEXT_KEYS for v in doc.get(key, [])),
        ]
    )
    return (
        with_parts(doc.get("name", "")),
        with_parts(doc.get("qualified_name", "")),
        " ".join(with_parts(f) for f in doc.get("field_names", [])),
        " ".join(with_parts(t) for t in doc.get("tags", [])),
        doc.get("description", "") or "",
        " ".join(d for d in doc.get("field_descriptions", []) if d),
        other,
    )


class SQLiteFTSBackend(SearchBackend):
    """SQLite FTS5 search index in the file ``path`` (created on first use).

    One connection per thread; WAL journal so searches run while the outbox writes.
    """

    def __init__(self, path: str | Path, **options) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            g = self._generation(conn)
            if g is None:
                self._create_tables(conn, 1)
                conn.execute("INSERT INTO meta VALUES ('generation', '1')")
            else:
                self._upgrade(conn, g)

    @staticmethod
    def _upgrade(conn, g: int) -> None:
        """Bring an index file written by an older version up to the current layout
        (a rebuild also does, and reclaims the space of dropped structures)."""
        if "df" not in {r[1] for r in conn.execute(f"PRAGMA table_info(terms_{g})")}:
            conn.execute(f"ALTER TABLE terms_{g} ADD COLUMN df INTEGER")
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (f"dfacets_{g}",)
        ).fetchone():
            conn.execute(f"CREATE TABLE dfacets_{g} (id INTEGER PRIMARY KEY, packed TEXT)")
            conn.execute(
                f"INSERT INTO dfacets_{g} SELECT doc, group_concat(facet || ? || value, ?)"
                f" FROM facets_{g} GROUP BY doc",
                (KEY_SEP, PAIR_SEP),
            )
            conn.execute(f"DROP INDEX IF EXISTS facets_{g}_doc")
        if FACET_COLUMN not in {r[1] for r in conn.execute(f"PRAGMA table_info(fts_{g})")}:
            # copy the full-text rows into a table with the facet-key column
            cols = ", ".join(FTS_COLUMNS)
            conn.execute(f"CREATE VIRTUAL TABLE fts_{g}_new USING fts5({cols}, {FTS_OPTIONS})")
            rows = conn.execute(
                f"SELECT f.rowid, f.*, d.packed FROM fts_{g} f LEFT JOIN dfacets_{g} d"
                f" ON d.id = f.rowid"
            ).fetchall()
            conn.executemany(
                f"INSERT INTO fts_{g}_new (rowid, {cols}) VALUES ({','.join('?' * 9)})",
                [
                    (
                        *r[:-1],
                        " ".join(
                            facet_key(*p.split(KEY_SEP, 1))
                            for p in (r[-1] or "").split(PAIR_SEP)
                            if p
                        ),
                    )
                    for r in rows
                ],
            )
            conn.execute(f"DROP TABLE fts_{g}")
            conn.execute(f"ALTER TABLE fts_{g}_new RENAME TO fts_{g}")

    # -- connections and schema -----------------------------------------------------
    def _write(self) -> _Txn:
        """A write transaction on this thread's connection."""
        return _Txn(self._connection(), write=True)

    def _read(self) -> _Txn:
        """A read transaction (one consistent snapshot) on this thread's connection."""
        return _Txn(self._connection(), write=False)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "temp_store=MEMORY",
                "cache_size=-65536",
                "mmap_size=2147418112",  # the largest SQLite allows by default (2 GB)
            ):
                conn.execute(f"PRAGMA {pragma}")
            self._local.conn = conn
        return conn

    @staticmethod
    def _generation(conn) -> int | None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else None

    @staticmethod
    def _create_tables(conn, g: int) -> None:
        cols = ", ".join(FTS_COLUMNS)
        script = f"""
            CREATE TABLE docs_{g} (id INTEGER PRIMARY KEY, urn TEXT NOT NULL UNIQUE,
                name TEXT, qualified_name TEXT, type TEXT, platform TEXT, description TEXT,
                popularity REAL, boost REAL, name_lc TEXT, qn_lc TEXT);
            CREATE INDEX docs_{g}_name ON docs_{g} (name_lc);
            CREATE INDEX docs_{g}_qn ON docs_{g} (qn_lc);
            CREATE INDEX docs_{g}_browse ON docs_{g} (boost DESC, name_lc);
            CREATE VIRTUAL TABLE fts_{g} USING fts5({cols}, {FTS_OPTIONS});
            CREATE TABLE facets_{g} (facet TEXT, value TEXT, doc INTEGER,
                PRIMARY KEY (facet, value, doc)) WITHOUT ROWID;
            CREATE TABLE dfacets_{g} (id INTEGER PRIMARY KEY, packed TEXT);
            CREATE TABLE totals_{g} (facet TEXT, value TEXT, n INTEGER,
                PRIMARY KEY (facet, value)) WITHOUT ROWID;
            CREATE TABLE terms_{g} (term TEXT PRIMARY KEY, df INTEGER) WITHOUT ROWID;
            CREATE TABLE grams_{g} (gram TEXT, term TEXT, PRIMARY KEY (gram, term)) WITHOUT ROWID;
        """
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)

    @staticmethod
    def _drop_tables(conn, g: int) -> None:
        for table in ("docs", "fts", "facets", "dfacets", "totals", "terms", "grams"):
            conn.execute(f"DROP TABLE IF EXISTS {table}_{g}")

    # -- writing --------------------------------------------------------------------
    def index_documents(self, docs: Iterable[dict]) -> int:
        """Add or replace documents by URN, in batches of 500; returns documents written."""
        written = 0
        batch: list[dict] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= CHUNK:
                written += self._write_batch(batch)
                batch = []
        if batch:
            written += self._write_batch(batch)
        return written

    def _write_batch(self, docs: list[dict]) -> int:
        """Add or replace ``docs`` in the live generation (one transaction)."""
        docs = list({d["urn"]: d for d in docs}.values())
        with self._write() as conn:
            g = self._generation(conn)
            marks = ",".join("?" * len(docs))
            ids = dict(
                conn.execute(
                    f"SELECT urn, id FROM docs_{g} WHERE urn IN ({marks})", [d["urn"] for d in docs]
                )
            )
            # new ids follow the largest one (read before replaced documents are removed)
            first = (conn.execute(f"SELECT max(id) FROM docs_{g}").fetchone()[0] or 0) + 1
            self._forget(conn, g, list(ids.values()))
            conn.execute(
                f"DELETE FROM docs_{g} WHERE id IN ({','.join('?' * len(ids))})", list(ids.values())
            )
            # a replaced document keeps its id (rowid order = indexing order, see sqlite_query)
            delta = self._load(conn, g, docs, [ids.get(d["urn"]) for d in docs], first)
            self._add_totals(conn, g, delta)
            self._add_terms(conn, g, Counter(t for d in docs for t in document_terms(d)))
        return len(docs)

    def _load_fresh(self, g: int, docs: list[dict], written: int, vocabulary: Counter) -> int:
        """Load a rebuild batch into generation ``g`` (ids follow ``written``)."""
        for doc in docs:
            vocabulary.update(document_terms(doc))
        with self._write() as conn:
            self._load(conn, g, docs, [None] * len(docs), written + 1)
        return len(docs)

    @staticmethod
    def _load(conn, g: int, docs: list[dict], ids: list, first: int) -> Counter:
        """Insert ``docs`` (ids from ``ids``, new ones numbered from ``first``) into the
        docs, FTS and facet tables with bulk statements; returns the facet deltas."""
        doc_rows, fts_rows, facet_rows, packed_rows, delta = [], [], [], [], Counter()
        next_id = first
        for doc, doc_id in zip(docs, ids, strict=True):
            if doc_id is None:
                doc_id, next_id = next_id, next_id + 1
            name, qn = doc.get("name", ""), doc.get("qualified_name", "")
            doc_rows.append(
                (
                    doc_id,
                    doc["urn"],
                    name,
                    qn,
                    doc.get("type", ""),
                    doc.get("platform", ""),
                    doc.get("description", ""),
                    float(doc.get("popularity") or 0),
                    document_boost(doc),
                    name.lower(),
                    qn.lower(),
                )
            )
            pairs = set(facet_values(doc))
            fts_rows.append((doc_id, *_fts_row(doc), " ".join(facet_key(f, v) for f, v in pairs)))
            facet_rows += [(f, v, doc_id) for f, v in pairs]
            packed_rows.append((doc_id, PAIR_SEP.join(f"{f}{KEY_SEP}{v}" for f, v in pairs)))
            delta.update(pairs)
        conn.executemany(f"INSERT INTO docs_{g} VALUES (?,?,?,?,?,?,?,?,?,?,?)", doc_rows)
        conn.executemany(
            f"INSERT INTO fts_{g} (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,?)",
            fts_rows,
        )
        conn.executemany(f"INSERT INTO facets_{g} VALUES (?,?,?)", facet_rows)
        conn.executemany(f"INSERT INTO dfacets_{g} VALUES (?,?)", packed_rows)
        return delta

    def _forget(self, conn, g: int, doc_ids: list[int]) -> None:
        """Remove the FTS rows and facet values of ``doc_ids`` (keeps the docs rows)."""
        if not doc_ids:
            return
        marks = ",".join("?" * len(doc_ids))
        old = [
            (*pair.split(KEY_SEP, 1), doc_id)
            for doc_id, packed in conn.execute(
                f"SELECT id, packed FROM dfacets_{g} WHERE id IN ({marks})", doc_ids
            )
            for pair in packed.split(PAIR_SEP)
            if pair
        ]
        delta: Counter = Counter()
        for facet, value, _ in old:
            delta[facet, value] -= 1
        self._add_totals(conn, g, delta)
        conn.executemany(f"DELETE FROM facets_{g} WHERE facet = ? AND value = ? AND doc = ?", old)
        conn.execute(f"DELETE FROM dfacets_{g} WHERE id IN ({marks})", doc_ids)
        conn.execute(f"DELETE FROM fts_{g} WHERE rowid IN ({marks})", doc_ids)

    @staticmethod
    def _add_totals(conn, g: int, delta: Counter) -> None:
        conn.executemany(
            f"INSERT INTO totals_{g} VALUES (?,?,?) ON CONFLICT (facet, value)"
            " DO UPDATE SET n = n + excluded.n",
            [(f, v, n) for (f, v), n in delta.items() if n],
        )
        conn.execute(f"DELETE FROM totals_{g} WHERE n <= 0")

    @staticmethod
    def _add_terms(conn, g: int, terms: Counter) -> None:
        """Add new terms with their document count ``terms[t]`` and their trigrams
        (known terms keep their count: it is a ranking hint for typo corrections)."""
        ordered = sorted(terms)
        new: list[str] = []
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            known = {
                r[0]
                for r in conn.execute(f"SELECT term FROM terms_{g} WHERE term IN ({marks})", chunk)
            }
            new.extend(t for t in chunk if t not in known)
        conn.executemany(
            f"INSERT OR IGNORE INTO terms_{g} VALUES (?,?)", [(t, terms[t]) for t in new]
        )
        conn.executemany(
            f"INSERT OR IGNORE INTO grams_{g} VALUES (?,?)",
            [(gram, t) for t in new for gram in trigrams(t)],
        )

    def delete(self, urns: Iterable[str]) -> int:
        """Remove documents by URN; returns how many existed."""
        urns = list(urns)
        removed = 0
        with self._write() as conn:
            g = self._generation(conn)
            for start in range(0, len(urns), CHUNK):
                chunk = urns[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                ids = [
                    r[0]
                    for r in conn.execute(f"SELECT id FROM docs_{g} WHERE urn IN ({marks})", chunk)
                ]
                if ids:
                    self._forget(conn, g, ids)
                    conn.execute(
                        f"DELETE FROM docs_{g} WHERE id IN ({','.join('?' * len(ids))})", ids
                    )
                removed += len(ids)
        return removed

    def rebuild(self, docs: Iterable[dict]) -> int:
        """Write a new generation from ``docs``, then switch to it atomically."""
        with self._write() as conn:
            old = self._generation(conn)
            new = (
                max(
                    old,
                    *(
                        int(r[0].rsplit("_", 1)[1])
                        for r in conn.execute(
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'docs\\_%'"
                            " ESCAPE '\\'"
                        )
                    ),
                )
                + 1
            )
            self._create_tables(conn, new)
            # no incremental segment merges while bulk loading: one 'optimize' at the end
            conn.execute(f"INSERT INTO fts_{new} (fts_{new}, rank) VALUES ('automerge', 0)")
            conn.execute(f"INSERT INTO fts_{new} (fts_{new}, rank) VALUES ('crisismerge', 2000)")
        written, vocabulary, batch = 0, Counter(), {}
        try:
            for doc in docs:
                batch[doc["urn"]] = doc  # a URN twice in a batch: the last one wins
                if len(batch) >= REBUILD_BATCH:
                    written += self._load_fresh(new, list(batch.values()), written, vocabulary)
                    batch = {}
            if batch:
                written += self._load_fresh(new, list(batch.values()), written, vocabulary)
            with self._write() as conn:
                conn.execute(
                    f"INSERT INTO totals_{new} SELECT facet, value, count(*)"
                    f" FROM facets_{new} GROUP BY facet, value"
                )
                self._add_terms(conn, new, vocabulary)
                conn.execute(f"INSERT INTO fts_{new} (fts_{new}) VALUES ('optimize')")
                for option, value in (("automerge", 4), ("crisismerge", 16)):  # the defaults
                    conn.execute(
                        f"INSERT INTO fts_{new} (fts_{new}, rank) VALUES (?, ?)", (option, value)
                    )
        except BaseException:
            with self._write() as conn:
                self._drop_tables(conn, new)
            raise
        with self._write() as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(new),))
            self._drop_tables(conn, old)
        self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return written

    def clear(self) -> None:
        """Remove every document (by rebuilding an empty generation)."""
        self.rebuild([])

    def count(self) -> int:
        """Documents in the live generation."""
        with self._read() as conn:
            return conn.execute(f"SELECT count(*) FROM docs_{self._generation(conn)}").fetchone()[0]

    # -- reading --------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResults:
        """Rank, count, facet and highlight; see :mod:`catalog.search.base` for the rules
        and :mod:`catalog.search.sqlite_query` for how each part stays bounded."""
        with self._read() as conn:  # one snapshot for every statement of this search
            g = self._generation(conn)
            p = plan(conn, g, query.text)  # the shared plan, compiled to FTS5 below
            words, fixes, exact, corrections = p.words, p.fixes, p.exact, p.corrections
            match = match_expression(p, "AND")
            cost = (postings(conn, g, words, fixes), word_stems(words, fixes)) if match else (0, [])
            results = self._run(conn, g, query, match, exact, corrections, cost)
            if results.count == 0 and len(words) > 1:
                match = match_expression(p, "OR")
                results = self._run(conn, g, query, match, exact, corrections, (cost[0], []))
            return results

    @staticmethod
    def _run(conn, g, query, match, exact, corrections, cost) -> SearchResults:
        sample, count, approximate = sample_and_count(conn, g, query.filters, match)
        hits = ranked_hits(conn, g, query, match, exact, sample, count, *cost) if count else []
        facets, facets_approximate = facet_counts(conn, g, query, match, sample, count)
        if match and hits:
            highlight(conn, g, match, hits)
        return SearchResults(
            count=count,
            hits=hits,
            facets=facets,
            corrections=corrections,
            facets_approximate=facets_approximate,
            count_approximate=approximate,
        )

    def suggest(self, prefix: str, limit: int = 10) -> list[dict]:
        """Names starting with ``prefix`` (B-tree range on the lower-cased name), then
        names with a word starting with it (FTS5 prefix query); exact name first, then
        popular, then short names."""
        p = (prefix or "").strip().lower()
        if not p or limit < 1:
            return []
        upper = p[:-1] + chr(ord(p[-1]) + 1)
        with self._read() as conn:
            g = self._generation(conn)
            cols = "urn, name, qualified_name, type, platform, popularity, name_lc"
            rows = conn.execute(
                f"SELECT {cols} FROM docs_{g} WHERE name_lc >= ? AND name_lc < ?"
                " ORDER BY name_lc LIMIT ?",
                (p, upper, limit * 5),
            ).fetchall()
            if "." in p or "/" in p:
                rows += conn.execute(
                    f"SELECT {cols} FROM docs_{g} WHERE qn_lc >= ? AND qn_lc < ?"
                    " ORDER BY qn_lc LIMIT ?",
                    (p, upper, limit * 5),
                ).fetchall()
            words = tokens(p)
            if len(rows) < limit and words:
                expr = " AND ".join(f'"{w}"' for w in words[:-1])
                expr = (expr + " AND " if expr else "") + f'"{words[-1]}"*'
                rows += conn.execute(
                    f"SELECT {cols} FROM docs_{g} WHERE id IN (SELECT rowid FROM fts_{g}"
                    f" WHERE fts_{g} MATCH ? LIMIT ?)",
                    (f"name : ({expr})", limit * 5),
                ).fetchall()
        seen, out = set(), []
        for urn, name, qn, typ, platform, _popularity, _name_lc in sorted(
            rows, key=lambda r: (r[6] != p, not r[6].startswith(p), -r[5], len(r[6]), r[6])
        ):
            if urn in seen:
                continue
            seen.add(urn)
            out.append(
                {"urn": urn, "name": name, "qualified_name": qn, "type": typ, "platform": platform}
            )
        return out[:limit]


class _Txn:
    """Context manager over a connection: opens a transaction (``BEGIN IMMEDIATE`` to
    write, ``BEGIN`` to read one snapshot) and commits it, or rolls back on error."""

    def __init__(self, conn: sqlite3.Connection, write: bool) -> None:
        self.conn, self.write = conn, write

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
