"""Builds search documents (denormalised assets) from the SQL system of record.

A document has the shape described in :mod:`catalog.search.base`. Removed assets get no
document. Other apps add facet values through *document enrichers*: dotted paths in
``settings.MESH_SEARCH_ENRICHERS``, each a function ``enrich(asset_ids: list[int]) ->
{asset_id: {"domain": [str], "data_product": [str], ...}}``; list values are merged into
the document (``domain`` and ``data_product`` become facets), others overwrite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from catalog.models import Asset, Field, Ownership

CHUNK = 1000


@cache
def enrichers() -> list:
    """The configured enricher functions; ImproperlyConfigured names a bad dotted path."""
    functions = []
    for path in getattr(settings, "MESH_SEARCH_ENRICHERS", []):
        try:
            functions.append(import_string(path))
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"MESH_SEARCH_ENRICHERS entry {path!r} cannot be imported: {exc}"
            ) from None
    return functions


def iter_documents(asset_ids: Iterable[int] | None = None, chunk: int = CHUNK) -> Iterator[dict]:
    """Documents of the given assets (all live assets when None), ``chunk`` at a time.

    Removed or unknown ids are skipped. Queries per chunk: assets, fields, tags, curated tags, owners,
    sources, plus one per enricher.
    """
    live = Asset.objects.filter(removed=False)
    if asset_ids is None:
        last = 0
        while True:
            ids = list(live.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:chunk])
            if not ids:
                return
            yield from _chunk_documents(ids)
            last = ids[-1]
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), chunk):
        yield from _chunk_documents(ids[start : start + chunk])


def _chunk_documents(ids: list[int]) -> Iterator[dict]:
    from catalog.models import AssetSource  # provenance lives in the catalog app

    assets = list(
        Asset.objects.filter(id__in=ids, removed=False)
        .order_by("id")
        .values(
            "id",
            "urn",
            "kind",
            "type",
            "namespace",
            "name",
            "qualified_name",
            "platform",
            "description",
            "curated_description",
        )
    )
    if not assets:
        return
    ids = [a["id"] for a in assets]
    field_names, field_descs = defaultdict(list), defaultdict(list)
    for asset_id, name, harvested, curated in (
        Field.objects.filter(asset_id__in=ids)
        .order_by("asset_id", "ordinal", "name")
        .values_list("asset_id", "name", "description", "curated_description")
    ):
        desc = harvested if curated is None else curated  # curated wins (governance)
        field_names[asset_id].append(name)
        if desc:
            field_descs[asset_id].append(desc)
    tags = defaultdict(list)
    for asset_id, tag in Asset.tags.through.objects.filter(asset_id__in=ids).values_list(
        "asset_id", "tag__name"
    ):
        tags[asset_id].append(tag)
    for asset_id, tag in Asset.curated_tags.through.objects.filter(asset_id__in=ids).values_list(
        "asset_id", "tag__name"
    ):
        if tag not in tags[asset_id]:
            tags[asset_id].append(tag)
    owners = defaultdict(set)
    for asset_id, owner in Ownership.objects.filter(asset_id__in=ids).values_list(
        "asset_id", "owner__name"
    ):
        owners[asset_id].add(owner)
    sources = defaultdict(set)
    for asset_id, source in AssetSource.objects.filter(asset_id__in=ids, removed=False).values_list(
        "asset_id", "source__name"
    ):
        sources[asset_id].add(source)
    extra = [enrich(ids) for enrich in enrichers()]
    for a in assets:
        doc = {
            "urn": a["urn"],
            "name": a["name"],
            "qualified_name": a["qualified_name"],
            "type": a["type"],
            "kind": a["kind"],
            "platform": a["platform"],
            "namespace": a["namespace"],
            "description": (
                a["description"] if a["curated_description"] is None else a["curated_description"]
            )
            or "",
            "field_names": field_names[a["id"]],
            "field_descriptions": field_descs[a["id"]],
            "tags": sorted(tags[a["id"]]),
            "owners": sorted(owners[a["id"]]),
            "sources": sorted(sources[a["id"]]),
            "popularity": 0.0,
            "domain": [],
            "data_product": [],
            "glossary": [],
            "glossary_text": [],
            "classification": [],
        }
        for values in extra:
            for key, value in (values.get(a["id"]) or {}).items():
                if isinstance(value, list | tuple | set):
                    doc[key] = sorted({*doc.get(key, []), *value})
                else:
                    doc[key] = value
        yield doc
