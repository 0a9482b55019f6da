"""Lineage graph backends, chosen in settings by dotted path (the CACHES pattern).

``settings.LINEAGE_GRAPH = {"default": {"BACKEND": "lineage.graph.sql.SQLGraphBackend",
...options}}``. Every backend answers the same traversal questions over the SQL
lineage edges (or a projection of them) and passes ``tests/test_graph_contract.py``.
"""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from lineage.graph.base import GraphBackend, LineageGraph

_instances: list[GraphBackend] = []


@cache
def get_graph_backend(alias: str = "default") -> GraphBackend:
    """Return the graph backend configured under ``alias``.

    Raises ImproperlyConfigured naming the alias when it is missing or its BACKEND
    cannot be imported.
    """
    try:
        options = dict(settings.LINEAGE_GRAPH[alias])
    except KeyError:
        raise ImproperlyConfigured(f"LINEAGE_GRAPH has no alias '{alias}'") from None
    path = options.pop("BACKEND", "")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"LINEAGE_GRAPH['{alias}']['BACKEND'] = {path!r} cannot be imported: {exc}"
        ) from None
    backend = backend_class(**{k.lower(): v for k, v in options.items()})
    _instances.append(backend)
    return backend


def reset_graph_backends() -> None:
    """Close and forget the cached backends (their drivers), e.g. after a settings change."""
    for backend in _instances:
        close = getattr(backend, "close", None)
        if close:
            close()
    _instances.clear()
    get_graph_backend.cache_clear()


@receiver(setting_changed)
def _graph_settings_changed(setting: str, **kwargs) -> None:
    if setting == "LINEAGE_GRAPH":
        reset_graph_backends()


__all__ = ["GraphBackend", "LineageGraph", "get_graph_backend", "reset_graph_backends"]
