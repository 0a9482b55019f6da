"""One loader for every pluggable store (search index, lineage graph, ...).

Stores are configured like Django's ``CACHES``: a setting maps an alias to
``{"BACKEND": "<dotted path to a class>", **options}``; the options are passed to the
class lower-cased. ``MESH_SEARCH`` (:mod:`catalog.search`) and ``LINEAGE_GRAPH``
(:mod:`lineage.graph`) use it.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def load_backend(setting: str, alias: str = "default"):
    """A new instance of the backend configured under ``settings.<setting>[alias]``.

    Raises ImproperlyConfigured naming the setting and alias when the setting or the
    alias is missing, or its ``BACKEND`` cannot be imported (with the import error).
    """
    try:
        options = dict(getattr(settings, setting)[alias])
    except (AttributeError, KeyError, TypeError):
        raise ImproperlyConfigured(f"{setting} has no alias '{alias}'") from None
    path = options.pop("BACKEND", "")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{setting}['{alias}']['BACKEND'] = {path!r} cannot be imported: {exc}"
        ) from None
    return backend_class(**{k.lower(): v for k, v in options.items()})
