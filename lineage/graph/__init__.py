"""Lineage graph backends, chosen in settings by dotted path (the CACHES pattern).

``settings.LINEAGE_GRAPH = {"default": {"BACKEND": "lineage.graph.sql.SQLGraphBackend",
...options}}``. Every backend answers the same traversal questions over the SQL
lineage edges (or a projection of them) and passes ``tests/lineage/test_graph_contract.py``.
"""

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver

from catalog.backends import load_backend
from lineage.graph.base import GraphBackend, LineageGraph

_instances: list[GraphBackend] = []


@cache
def get_graph_backend(alias: str = "default") -> GraphBackend:
    """Return the graph backend configured under ``alias``.

    Raises ImproperlyConfigured naming the alias when it is missing or its BACKEND
    cannot be imported.
    """
    backend = load_backend("LINEAGE_GRAPH", alias)
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
