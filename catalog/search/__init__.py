"""Search over the catalog: backends chosen in settings by dotted path (CACHES pattern).

``settings.MESH_SEARCH = {"default": {"BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend",
"PATH": ...}}``; other options are passed lower-cased to the backend class. Every backend
passes ``tests/catalog/test_search_contract.py``. The web catalog calls :func:`search` and
:func:`suggest`; the API (``/api/v1/search``) returns the same shapes.
"""

from __future__ import annotations

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver

from catalog.backends import load_backend
from catalog.search.base import (
    FACETS,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
)


@cache
def get_search_backend(alias: str = "default") -> SearchBackend:
    """The search backend configured under ``alias`` (one instance per process).

    Raises ImproperlyConfigured naming the alias when it is missing, has no BACKEND or
    the BACKEND cannot be imported.
    """
    return load_backend("MESH_SEARCH", alias)


@receiver(setting_changed)
def _reset_on_settings_change(setting: str, **kwargs) -> None:
    """Forget cached backends and enrichers when tests override the settings."""
    if setting in ("MESH_SEARCH", "MESH_SEARCH_ENRICHERS"):
        from catalog.search.documents import enrichers

        get_search_backend.cache_clear()
        enrichers.cache_clear()


def search(
    q: str = "", filters: dict[str, list[str]] | None = None, page: int = 1, page_size: int = 20
) -> dict:
    """Search the catalog.

    ``filters`` maps facet names (``type``, ``platform``, ``source``, ``owner``, ``tag``,
    ``domain``, ``data_product``) to accepted values (OR within a facet, AND across).
    Returns ``{count, results: [{urn, name, type, platform, qualified_name, description,
    highlights: [{field, snippet}], score}], facets: {name: [{value, count}]},
    corrections: {typed: [used]}}``; snippets are HTML-escaped with ``<mark>`` around
    matches. Raises :class:`SearchError` (a ValueError) for an unknown facet, a page < 1
    or a page size outside 1..100.
    """
    query = SearchQuery(text=q, filters=filters or {}, page=page, page_size=page_size)
    return get_search_backend().search(query).as_dict()


def suggest(q: str, limit: int = 10) -> list[dict]:
    """Autocomplete: up to ``limit`` ``{urn, name, qualified_name, type, platform}``
    whose name or a word of it starts with ``q``; exact name first."""
    return get_search_backend().suggest(q, limit)


__all__ = [
    "FACETS",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResults",
    "SearchUnavailable",
    "get_search_backend",
    "search",
    "suggest",
]
