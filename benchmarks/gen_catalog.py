"""Generate a deterministic synthetic catalog: into a database, or straight into the index.

Usage::

    # through the database (realism: rebuild_index reads it back), SQLite or PostgreSQL
    .venv/bin/python benchmarks/gen_catalog.py 100000 --workdir /tmp/mesh_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mc_bench_search \\
        .venv/bin/python benchmarks/gen_catalog.py 100000
    # index documents only (1M in minutes): bulk-loads <workdir>/search_<N>.sqlite3
    .venv/bin/python benchmarks/gen_catalog.py 1000000 --index-only
    # vocabulary statistics of the generated catalog (document frequency of words)
    .venv/bin/python benchmarks/gen_catalog.py 100000 --stats

The same ``--seed`` always gives the same catalog, whichever path writes it.

**The distribution** (modelled on real warehouses, where a few business words such as
*customer* or *order* are everywhere, most words belong to one subject area, and
generic columns such as ``id`` / ``created_at`` appear in most tables):

- vocabulary: 250 real business words (``customer``, ``invoice``, ...) plus 6,000
  pronounceable made-up words standing for company-specific terms (product names,
  systems, abbreviations);
- 2,000 *subject areas* (topics) with Zipf(s=0.8) popularity (the largest holds ~5 %); each has 8 words: one head
  business word (Zipf(s=1) over the 250: ``customer`` is drawn by ~16 % of topics), two
  more business words (uniform) and five words of the whole vocabulary (uniform);
- an asset picks a topic; its name is a layer prefix (``stg_``, ``fct_``, ``dim_``,
  ``raw_``, ``int_``, ``agg_``, ``snap_`` or none) + 1–3 topic words + an optional
  suffix (``_daily``, ``_history``, ``_v2``...), e.g. ``fct_customer_orders_daily``;
- 4–15 columns: 40 % generic (``id``, ``created_at``, ``status``...), 60 % a topic word
  with a column suffix (``customer_id``, ``invoice_amount``); a third have a description;
- a one-sentence description from templates over topic words (empty for 15 %);
- type (tables 50 %, views 20 %, files, topics, jobs, dashboards), platform (8), 0–3
  of 50 tags, 1–2 of 2,000 owners (Zipf), one of 20 sources, 0–2 upstream edges to
  recent assets; popularity 0 (as the catalog has no usage metrics yet).

Measured at 100k (``--stats``): ``customer`` is in 15 % of assets (any field) and 4.2 % of
names, ``order`` in 10.6 % / 2.8 %, the 20th business word (``warehouse``) in 4 % / 0.6 %,
the 100th (``sensor``) in 0.5 % / 0.15 %, a median word of the 5,000 in use in 0.013 %;
generic column words are everywhere (``at`` 82 %, ``id`` 59 %), layer prefixes and
suffixes (``stg``, ``daily``) in ~10 % of names each.

Timings are printed (rows written and seconds). Without DATABASE_URL the database is
``<workdir>/catalog_<N>.sqlite3`` (replaced); the search index is
``<workdir>/search_<N>.sqlite3``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUSINESS = (  # noqa: SIM905
    "customer order payment invoice product account user session event click campaign lead "
    "opportunity contract subscription refund shipment delivery carrier warehouse inventory "
    "stock supplier vendor purchase sale revenue margin cost budget forecast employee payroll "
    "department team ticket incident alert metric kpi churn retention cohort funnel visit "
    "page device app store region country city address currency price discount coupon "
    "promotion loyalty reward review rating feedback survey email message notification "
    "transaction ledger balance transfer loan credit debit card fraud risk claim policy "
    "patient diagnosis prescription doctor clinic appointment course student grade "
    "exam enrollment flight booking hotel room trip route vehicle driver fuel sensor "
    "reading measurement machine part assembly defect quality batch lot recipe ingredient "
    "menu restaurant partner affiliate channel source medium keyword ad impression spend "
    "conversion attribution segment audience profile preference consent identity login "
    "role permission audit log job task pipeline model feature label prediction experiment "
    "asset portfolio trade position quote fund investor dividend tax fee commission "
    "territory quota pipeline forecast bid auction listing seller buyer cart checkout "
    "basket wishlist return exchange warranty repair service plan tier license seat "
    "usage meter billing charge dispute chargeback settlement payout merchant terminal "
    "branch atm deposit withdrawal mortgage premium underwriting broker agent lease "
    "property tenant landlord building floor desk shift schedule attendance leave "
    "benefit salary bonus hire candidate interview offer onboarding training skill "
    "project milestone issue release build deployment cluster node container server "
    "network packet latency error request response endpoint api token key secret"
).split()
BUSINESS = list(dict.fromkeys(BUSINESS))  # keep the first occurrence of repeated words
PREFIXES = ["", "", "", "stg_", "raw_", "fct_", "dim_", "int_", "agg_", "snap_"]
SUFFIXES = ["", "", "", "", "_daily", "_weekly", "_monthly", "_history", "_v2", "_latest"]
GENERIC_COLUMNS = [
    "id", "created_at", "updated_at", "name", "status", "type", "code", "amount",
    "description", "is_active", "deleted_at", "source_system", "loaded_at", "country_code",
]  # fmt: skip
COLUMN_SUFFIXES = ["_id", "_name", "_at", "_date", "_amount", "_count", "_status", "_type", "_code"]
DESCRIPTIONS = [
    "One row per {a}.",
    "One row per {a} and {b}, refreshed daily.",
    "Daily snapshot of {a} {b} from the {c} system.",
    "{A} {b} enriched with {c} attributes.",
    "Staging model for {a} data loaded from {c}.",
    "Aggregated {a} metrics by {b}; used by the {c} team.",
    "Raw {a} events as received from {c}.",
    "History of {a} changes (type 2 slowly changing dimension).",
]
PLATFORMS = ["postgres", "snowflake", "bigquery", "duckdb", "mysql", "kafka", "s3", "dbt"]
TYPES = ["table"] * 10 + ["view"] * 4 + ["file"] * 2 + ["topic", "job", "dashboard", "dashboard"]
TAGS = [f"tag_{w}" for w in BUSINESS[:40]] + [
    "pii", "gold", "silver", "bronze", "deprecated", "certified", "finance", "marketing",
    "ops", "gdpr",
]  # fmt: skip
N_TOPICS, N_OWNERS, N_SOURCES = 2000, 2000, 20


def syllable_words(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct pronounceable made-up words (4–9 letters), not business words."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    business = set(BUSINESS)
    while len(words) < n:
        word = "".join(
            rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4))
        ) + rng.choice(["", "r", "n", "s"])
        if word not in business:
            words.add(word)
    return sorted(words)


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Cumulative Zipf(s) weights of ranks 1..n (for ``random.choices(cum_weights=)``)."""
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))


def asset_specs(n: int, seed: int = 7) -> Iterator[dict]:
    """The ``n`` assets of the catalog, as plain dicts: ``{i, urn, kind, type, namespace,
    name, qualified_name, platform, description, fields: [(name, description)], tags,
    owners, source, upstream: [index of an earlier asset]}``; deterministic per seed."""
    rng = random.Random(seed)
    vocab = BUSINESS + syllable_words(rng, 6000)
    head = zipf_weights(len(BUSINESS))
    topics = []
    for _ in range(N_TOPICS):
        words = rng.choices(BUSINESS, cum_weights=head, k=1) + rng.sample(BUSINESS, 2)
        topics.append(words + rng.sample(vocab, 5))
    topic_weights = zipf_weights(N_TOPICS, 0.8)
    owner_weights = zipf_weights(N_OWNERS)
    owners = [f"owner{i}@example.com" for i in range(N_OWNERS)]
    for i in range(n):
        words = rng.choices(topics, cum_weights=topic_weights)[0]
        name_words = list(dict.fromkeys(rng.choices(words, k=rng.choice((1, 2, 2, 3)))))
        name = rng.choice(PREFIXES) + "_".join(name_words) + rng.choice(SUFFIXES)
        platform = rng.choice(PLATFORMS)
        typ = rng.choice(TYPES)
        kind = "job" if typ == "job" else "dataset"
        qn = f"db{i % 50}.schema{i % 400}.{name}_{i}"
        namespace = f"{platform}://host{i % 10}"
        fields, seen = [], set()
        for _ in range(rng.randint(4, 15)):
            if rng.random() < 0.4:
                col = rng.choice(GENERIC_COLUMNS)
            else:
                col = rng.choice(words) + rng.choice(COLUMN_SUFFIXES)
            if col in seen:
                continue
            seen.add(col)
            desc = f"The {col.replace('_', ' ')} of the {name_words[0]}" if i % 3 == 0 else ""
            fields.append((col, desc))
        description = ""
        if rng.random() > 0.15:
            a, b, c = (rng.choice(words) for _ in range(3))
            description = rng.choice(DESCRIPTIONS).format(a=a, A=a.capitalize(), b=b, c=c)
        yield {
            "i": i,
            "urn": f"urn:mc:{kind}:{namespace}/{qn}",
            "kind": kind,
            "type": typ,
            "namespace": namespace,
            "name": name,
            "qualified_name": qn,
            "platform": platform,
            "description": description,
            "fields": fields,
            "tags": sorted(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3)))),
            "owners": sorted(
                set(rng.choices(owners, cum_weights=owner_weights, k=rng.randint(1, 2)))
            ),
            "source": f"src-{rng.randrange(N_SOURCES)}",
            "upstream": sorted(
                {rng.randint(max(0, i - 5000), i - 1) for _ in range(rng.randint(0, 2))}
            )
            if i > 10
            else [],
        }


def to_document(spec: dict) -> dict:
    """The search document of an asset spec (the shape of :mod:`catalog.search.base`)."""
    return {
        "urn": spec["urn"],
        "name": spec["name"],
        "qualified_name": spec["qualified_name"],
        "type": spec["type"],
        "kind": spec["kind"],
        "platform": spec["platform"],
        "namespace": spec["namespace"],
        "description": spec["description"],
        "field_names": [f for f, _ in spec["fields"]],
        "field_descriptions": [d for _, d in spec["fields"] if d],
        "tags": spec["tags"],
        "owners": spec["owners"],
        "sources": [spec["source"]],
        "popularity": 0.0,
        "domain": [],
        "data_product": [],
    }


def setup_django(workdir: Path, n: int) -> None:
    """Point Django at ``workdir`` (search index ``search_<n>.sqlite3``) and set it up."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["MESH_VAR_DIR"] = str(workdir)
    os.environ["MESH_SEARCH_PATH"] = str(workdir / f"search_{n}.sqlite3")
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def write_database(n: int, seed: int = 7, batch: int = 5000) -> dict[str, int]:
    """Write ``n`` assets and what describes them with ``bulk_create`` (one transaction per
    ``batch`` assets; no harvester, no outbox); returns rows written per table."""
    from django.db import transaction

    from catalog.models import Asset, AssetSource, Field, Owner, Ownership, Source, Tag
    from lineage.models import LineageEdge

    with transaction.atomic():
        sources = {
            s.name: s
            for s in Source.objects.bulk_create(
                [Source(name=f"src-{i}", kind="sql", config={}) for i in range(N_SOURCES)]
            )
        }
        tags = {t.name: t.id for t in Tag.objects.bulk_create([Tag(name=t) for t in TAGS])}
        owners = {
            o.name: o.id
            for o in Owner.objects.bulk_create(
                [Owner(name=f"owner{i}@example.com") for i in range(N_OWNERS)]
            )
        }
    counts = Counter()
    tag_through = Asset.tags.through
    ids: dict[int, int] = {}  # spec index -> asset id
    specs = asset_specs(n, seed)
    while chunk := list(itertools.islice(specs, batch)):
        with transaction.atomic():
            assets = Asset.objects.bulk_create(
                [
                    Asset(
                        **{
                            k: s[k]
                            for k in ("urn", "kind", "type", "namespace", "name", "qualified_name")
                        },
                        platform=s["platform"],
                        description=s["description"],
                    )
                    for s in chunk
                ],
                batch_size=1000,
            )
            for s, a in zip(chunk, assets, strict=True):
                ids[s["i"]] = a.id
            rows = {
                "fields": [
                    Field(
                        asset_id=ids[s["i"]], name=f, description=d, ordinal=o, data_type="string"
                    )
                    for s in chunk
                    for o, (f, d) in enumerate(s["fields"])
                ],
                "tags": [
                    tag_through(asset_id=ids[s["i"]], tag_id=tags[t])
                    for s in chunk
                    for t in s["tags"]
                ],
                "ownerships": [
                    Ownership(asset_id=ids[s["i"]], owner_id=owners[o])
                    for s in chunk
                    for o in s["owners"]
                ],
                "sources": [
                    AssetSource(asset_id=ids[s["i"]], source=sources[s["source"]]) for s in chunk
                ],
                "lineage_edges": [
                    LineageEdge(
                        key=f"{ids[u]}-{ids[s['i']]}",
                        upstream_id=ids[u],
                        downstream_id=ids[s["i"]],
                        origin=sources[s["source"]],
                    )
                    for s in chunk
                    for u in s["upstream"]
                ],
            }
            Field.objects.bulk_create(rows["fields"], batch_size=2000)
            tag_through.objects.bulk_create(rows["tags"], batch_size=2000)
            Ownership.objects.bulk_create(rows["ownerships"], batch_size=2000)
            AssetSource.objects.bulk_create(rows["sources"], batch_size=2000)
            LineageEdge.objects.bulk_create(rows["lineage_edges"], batch_size=2000)
        counts["assets"] += len(chunk)
        for table, table_rows in rows.items():
            counts[table] += len(table_rows)
        print(f"  {counts['assets']:>9} assets", file=sys.stderr, flush=True)
    return dict(counts)


def stats(n: int, seed: int = 7, top: int = 25) -> None:
    """Print the document frequency (share of assets) of the commonest words, of the
    business words by rank, and of a median vocabulary word, in any field and in names."""
    import re

    anywhere, in_names = Counter(), Counter()
    for spec in asset_specs(n, seed):
        doc = to_document(spec)
        text = " ".join([doc["name"], doc["description"], *doc["field_names"], *doc["tags"]])
        anywhere.update(set(re.findall(r"[a-z]+", text.lower())))
        in_names.update(set(re.findall(r"[a-z]+", doc["name"].lower())))
    print(f"{len(anywhere)} distinct words in {n} assets")
    for label, counter in (("any field", anywhere), ("names", in_names)):
        common = counter.most_common()
        print(f"most common in {label}:")
        print("  " + ", ".join(f"{w} {c / n:.1%}" for w, c in common[:top]))
        print(f"  median word: {common[len(common) // 2][0]} {common[len(common) // 2][1] / n:.3%}")
    for rank in (0, 1, 4, 19, 99, 200):
        word = BUSINESS[rank]
        print(f"  business word #{rank + 1} {word!r}: {anywhere[word] / n:.2%} any, "
              f"{in_names[word] / n:.2%} names")  # fmt: skip


def index_opensearch(args) -> None:
    """``--index-only --backend opensearch``: bulk-load the alias ``mesh-bench-<N>``."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from search_backends import backend_config, index_mb, opensearch, use_backend

    with opensearch(args.workdir, args.opensearch_url) as url:
        config = backend_config("opensearch", args.workdir, args.n, url)
        backend = use_backend(config)
        started = time.monotonic()
        written = backend.rebuild(to_document(s) for s in asset_specs(args.n, args.seed))
        print(
            f"indexed {written} generated documents in {time.monotonic() - started:.1f} s "
            f"(OpenSearch alias {backend.alias} at {url},"
            f" {index_mb('opensearch', backend, config):.0f} MB)"
        )


def main() -> None:
    """CLI: ``gen_catalog.py N [--seed S] [--workdir DIR] [--index-only | --stats]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of assets")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mesh_search_bench"))
    parser.add_argument(
        "--index-only",
        action="store_true",
        help="bulk-load the search index from generated documents (no database)",
    )
    parser.add_argument("--stats", action="store_true", help="print word frequencies only")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "opensearch"),
        default="sqlite",
        help="the index --index-only loads (opensearch: see benchmarks/search_backends.py)",
    )
    parser.add_argument("--opensearch-url", help="an OpenSearch server (default: start one)")
    args = parser.parse_args()
    if args.stats:
        stats(args.n, args.seed)
        return
    if args.index_only:
        os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
        setup_django(args.workdir, args.n)
        if args.backend == "opensearch":
            index_opensearch(args)
            return
        from catalog.search import get_search_backend

        index = Path(os.environ["MESH_SEARCH_PATH"])
        for suffix in ("", "-wal", "-shm"):  # a fresh file, so its size is the index's
            Path(f"{index}{suffix}").unlink(missing_ok=True)
        started = time.monotonic()
        written = get_search_backend().rebuild(
            to_document(s) for s in asset_specs(args.n, args.seed)
        )
        print(
            f"indexed {written} generated documents in {time.monotonic() - started:.1f} s "
            f"(index {index}, {index.stat().st_size / 1e6:.0f} MB)"
        )
        return
    if not os.environ.get("DATABASE_URL"):
        db = args.workdir / f"catalog_{args.n}.sqlite3"
        args.workdir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    setup_django(args.workdir, args.n)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if "postgres" in os.environ["DATABASE_URL"]:
        call_command("flush", "--no-input", verbosity=0)
    started = time.monotonic()
    counts = write_database(args.n, args.seed)
    print(
        f"generated {counts} in {time.monotonic() - started:.1f} s "
        f"(database {os.environ['DATABASE_URL']})"
    )


if __name__ == "__main__":
    main()
