"""The search backends a benchmark run compares: settings, a server, index sizes.

``sqlite`` is the embedded FTS5 file ``<workdir>/search_<N>.sqlite3``; ``opensearch`` is
the alias ``mesh-bench-<N>`` on the server at ``--opensearch-url`` (or
``OPENSEARCH_URL``), or, when neither is given, on the test node of
``services/opensearch`` started for the run with its data in ``<workdir>/opensearch``
(kept, so ``gen_catalog.py --index-only --backend opensearch`` and a later
``bench_search.py`` share the index; heap ``MESH_OPENSEARCH_HEAP``, default 1g).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "opensearch")


def backend_config(name: str, workdir: Path, n: int, url: str | None = None) -> dict:
    """The ``MESH_SEARCH["default"]`` dict of backend ``name`` for a catalog of ``n``."""
    if name == "sqlite":
        return {
            "BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend",
            "PATH": str(workdir / f"search_{n}.sqlite3"),
        }
    if name == "opensearch":
        return {
            "BACKEND": "catalog.search.opensearch.OpenSearchBackend",
            "URL": url,
            "INDEX": f"mesh-bench-{n}",
            "TIMEOUT": 120,
            "REFRESH": False,
            "REQUEST_CACHE": False,  # measure the work, not the shard request cache
        }
    raise SystemExit(f"unknown backend {name!r} (use one of {', '.join(BACKENDS)})")


def use_backend(config: dict):
    """Switch this process's search backend to ``config``; returns the backend."""
    from django.conf import settings

    from catalog.search import get_search_backend

    settings.MESH_SEARCH = {"default": config}
    get_search_backend.cache_clear()
    return get_search_backend()


def index_mb(name: str, backend, config: dict) -> float:
    """Size of the index on disk in MB (OpenSearch: primary store after a flush)."""
    if name == "sqlite":
        return round(Path(config["PATH"]).stat().st_size / 1e6, 1)
    backend.client.indices.flush(index=backend.alias)
    stats = backend.client.indices.stats(index=backend.alias, metric="store")
    return round(stats["_all"]["primaries"]["store"]["size_in_bytes"] / 1e6, 1)


@contextlib.contextmanager
def opensearch(workdir: Path, url: str | None) -> Iterator[str]:
    """``url`` (or ``OPENSEARCH_URL``) as is, else a node started for the run (stopped
    at the end, data kept in ``<workdir>/opensearch``)."""
    url = url or os.environ.get("OPENSEARCH_URL")
    if url:
        yield url.rstrip("/")
        return
    sys.path.insert(0, str(REPO))
    from tests.opensearch_server import start_opensearch, stop_opensearch

    node_dir = workdir / "opensearch"
    node_dir.mkdir(parents=True, exist_ok=True)
    proc, started = start_opensearch(node_dir)
    try:
        yield started
    finally:
        stop_opensearch(proc)
