"""A cache of hot anonymous API reads that can never serve stale data.

``HotReadCacheMiddleware`` keeps the JSON bodies of anonymous ``GET`` requests to the read
API (search, assets, lineage, column lineage, impact) in a per-process memory cache
(``CACHES["hot"]``), keyed by the full URL and the **catalog version**: the highest
outbox event id, which every write to the catalog raises in its own transaction
(:mod:`catalog.outbox`; pruned events leave their id in the projection cursors). So a
harvest, an OpenLineage event or an edit makes every cached answer unreachable at once;
no TTL guessing. The anonymous HTML search page (``/search``) is kept the same way: pages
render a CSRF token for signed-in users only, so an anonymous page sets no cookie and is
the same for every anonymous visitor. Requests with a token, a session or pending messages
(signed-in users, whose pages can differ) are never cached. ``MESH_HOT_CACHE_SECONDS`` (default 300; 0 turns it off) bounds
how long an entry is kept; ``MESH_HOT_CACHE_ENTRIES`` (default 2000) how many.

Reading the catalog version is the one database query of a hit (on PostgreSQL a round trip
to another process, which on a busy machine is most of a hit's latency tail).
``MESH_HOT_CACHE_VERSION_SECONDS`` (default 0: read it on every request, never stale) lets
a process reuse the version it read for that many seconds: anonymous readers may then get
an answer up to that old after a write (signed-in users, never cached, always see it).
"""

import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connection
from django.http import HttpResponse

from catalog.models import OutboxEvent, ProjectionCursor

PREFIXES = (
    "/api/v1/search",
    "/api/v1/assets",
    "/api/v1/lineage",
    "/api/v1/column-lineage",
    "/api/v1/impact",
)
#: HTML pages kept for anonymous visitors (exact paths)
PAGES = frozenset({"/search"})
#: response headers not replayed from the cache
UNCACHED_HEADERS = frozenset({"set-cookie", "date", "content-length", "x-mesh-cache"})
#: cookies that can change what a page shows
PERSONAL_COOKIES = ("messages",)


def catalog_version() -> int:
    """A number that grows with every write to the catalog (0 for an empty catalog); one
    query (the newest outbox event id, or a projection cursor past a pruned outbox)."""
    events, cursors = OutboxEvent._meta.db_table, ProjectionCursor._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {events}), (SELECT MAX(position) FROM {cursors})"
        )
        top_event, top_cursor = cursor.fetchone()
    return max(top_event or 0, top_cursor or 0)


#: (monotonic second read, version) of this process, for MESH_HOT_CACHE_VERSION_SECONDS
_last_read: tuple[float, int] | None = None
_reading = threading.Lock()


def hot_version() -> int:
    """The catalog version the hot cache keys on: :func:`catalog_version`, or with
    ``MESH_HOT_CACHE_VERSION_SECONDS`` > 0 the one this process read within that many
    seconds (one thread reads it anew, the others meanwhile use the last one)."""
    global _last_read
    window = float(getattr(settings, "MESH_HOT_CACHE_VERSION_SECONDS", 0))
    if window <= 0:
        return catalog_version()
    last, now = _last_read, time.monotonic()
    if last is not None and now - last[0] < window:
        return last[1]
    if last is not None and not _reading.acquire(blocking=False):
        return last[1]  # another thread is reading it
    if last is None:
        _reading.acquire()
    try:
        version = catalog_version()
        _last_read = (time.monotonic(), version)
        return version
    finally:
        _reading.release()


def forget_version(**kwargs) -> None:
    """Drop the version this process remembered (settings changed, e.g. in tests)."""
    global _last_read
    _last_read = None


setting_changed.connect(forget_version)


class HotReadCacheMiddleware:
    """Serve repeated anonymous read-API GETs from memory (see the module docstring)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def _cacheable(self, request) -> bool:
        return (
            request.method == "GET"
            and float(getattr(settings, "MESH_HOT_CACHE_SECONDS", 300)) > 0
            and (request.path.startswith(PREFIXES) or request.path in PAGES)
            and "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not any(name in request.COOKIES for name in PERSONAL_COOKIES)
        )

    def __call__(self, request):
        if not self._cacheable(request):
            return self.get_response(request)
        cache = caches["hot"]
        # answers hold absolute links (pagination): the scheme and the (validated) host count
        where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        digest = hashlib.sha256(where.encode()).hexdigest()
        key = f"mesh:hot:{hot_version()}:{digest}"
        hit = cache.get(key)
        if hit is not None:
            body, headers = hit
            response = HttpResponse(body)
            for name, value in headers.items():  # incl. those of later middleware (CSP, XFO)
                response[name] = value
            response["X-Mesh-Cache"] = "hit"
            return response
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            response.status_code == 200
            and not response.streaming
            and content_type.startswith(("application/json", "text/csv", "text/html"))
            and not response.cookies
        ):
            headers = {k: v for k, v in response.items() if k.lower() not in UNCACHED_HEADERS}
            cache.set(
                key,
                (response.content, headers),
                float(getattr(settings, "MESH_HOT_CACHE_SECONDS", 300)),
            )
        return response
