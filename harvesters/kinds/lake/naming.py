"""How lake datasets are named: relative to the source's root, never by machine paths.

A dataset in a local lake (a folder on this machine) is named by its path relative to
the lake root, in the namespace ``lake://<source name>`` (or the source's ``namespace``
config): ``/srv/data/lake/invoices`` harvested by source ``finance-lake`` rooted at
``/srv/data/lake`` is ``lake://finance-lake`` / ``invoices``, URN
``urn:mc:dataset:lake://finance-lake/invoices``. The URN does not change when the lake
moves to another folder or machine, and two sources never share one (source names are
unique). A lake on object storage keeps OpenLineage's naming (``s3://bucket`` / key),
which names no machine path.

OpenLineage producers (Spark, Airflow) name local files ``file`` / absolute path;
:func:`file_dataset_resolver` maps such a name under a lake source's root to the lake's
own name, so their lineage and run times land on the harvested asset.
"""

import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from catalog.models import Source

LOCAL_SCHEMES = ("", "file", "local")


def lake_namespace(source_name: str) -> str:
    """The namespace of a local lake's datasets: ``lake://<source name>``."""
    return f"lake://{source_name}"


def local_root(path: str) -> str | None:
    """The absolute, normalized folder of a lake ``path`` config, or None when the lake is
    not on the local filesystem (``s3://...``)."""
    parts = urlsplit(path)
    if parts.scheme not in LOCAL_SCHEMES or (parts.scheme and parts.netloc):
        return None
    return os.path.normpath(os.path.abspath(parts.path if parts.scheme else path))


def relative_name(root: str, path: str) -> str:
    """``path`` relative to ``root`` with ``/`` separators; the root's own folder name when
    ``path`` is the root itself (a table at the top of the lake)."""
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    if rel in ("", "."):
        return os.path.basename(root.rstrip("/")) or "root"
    return rel


def file_dataset_resolver() -> Callable[[str], tuple[str, str] | None]:
    """A function mapping an absolute local path to ``(namespace, name)`` of the local lake
    source whose root holds it (the deepest root wins), or None. Reads the lake sources
    once (one query)."""
    roots = []
    for name, config in Source.objects.filter(kind="lake").values_list("name", "config"):
        config = config or {}
        root = local_root(str(config.get("path") or ""))
        if root:
            roots.append((root, config.get("namespace") or lake_namespace(name)))
    roots.sort(key=lambda item: len(item[0]), reverse=True)

    def resolve(path: str) -> tuple[str, str] | None:
        path = os.path.normpath(path)
        for root, namespace in roots:
            if path == root or path.startswith(root.rstrip("/") + "/"):
                return namespace, relative_name(root, path)
        return None

    return resolve


def _references(event: dict) -> Iterator[dict]:
    """Every dataset reference of an OpenLineage event: ``dataset``, inputs, outputs and
    the input fields of the outputs' column lineage."""
    candidates = [event.get("dataset"), *(event.get("inputs") or []), *(event.get("outputs") or [])]
    for ds in candidates:
        if not isinstance(ds, dict):
            continue
        yield ds
        facets = ds.get("facets")
        lineage = facets.get("columnLineage") if isinstance(facets, dict) else None
        fields = lineage.get("fields") if isinstance(lineage, dict) else None
        for field in fields.values() if isinstance(fields, dict) else ():
            inputs = field.get("inputFields") if isinstance(field, dict) else None
            yield from (i for i in inputs or [] if isinstance(i, dict))


def mentions_files(event: dict) -> bool:
    """Whether an OpenLineage event names any dataset in the ``file`` namespace."""
    return any(ref.get("namespace") == "file" for ref in _references(event))


def rename_file_datasets(event: dict, resolve: Callable[[str], tuple[str, str] | None]) -> None:
    """Rewrite, in place, every ``{namespace: "file", name: <absolute path>}`` dataset
    reference of an OpenLineage ``event`` that ``resolve`` maps to a lake dataset."""
    for ref in _references(event):
        if ref.get("namespace") == "file":
            found = resolve(str(ref.get("name") or ""))
            if found:
                ref["namespace"], ref["name"] = found
