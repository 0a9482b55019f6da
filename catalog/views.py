"""Web catalog pages: home, search results, the asset page (header, schema tab).

Server-rendered Django templates; the lineage graph is drawn in the browser with
Cytoscape.js from ``/api/v1/lineage`` and ``/api/v1/column-lineage``. Search goes through
:func:`catalog.search.search` (the configured search backend).
"""

import logging
import math
from urllib.parse import urlencode

import markdown
import nh3
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from catalog.models import Asset, AssetKind, AssetSource, Field, Ownership
from catalog.pages import AssetTab, page_extensions
from catalog.quality import latest_results as latest_quality
from catalog.quality import summary as quality_summary
from catalog.search.base import FACETS
from catalog.urns import short_name

log = logging.getLogger(__name__)

PAGE_SIZE = 20
#: facets shown on the search page, in the search plan's order, with their headings
#: (``data_product`` → "Data product")
FACET_LABELS = {name: name.replace("_", " ").capitalize() for name in FACETS}
#: tags and attributes kept when rendering Markdown descriptions (everything else is dropped)
MARKDOWN_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
SNIPPET_TAGS = {"mark"}
#: highlight fields already visible in a result's title line (not repeated as snippets)
TITLE_FIELDS = {"name", "qualified_name"}
HIGHLIGHT_LABELS = {
    "description": "Description",
    "field_names": "Columns",
    "field_descriptions": "Column docs",
    "tags": "Tags",
    "owners": "Owners",
    "sources": "Sources",
}


def render_markdown(text: str) -> SafeString:
    """Render a Markdown description (CommonMark-ish, with tables) to sanitised HTML.

    Raw HTML in the source is escaped or stripped by nh3: only :data:`MARKDOWN_TAGS`
    survive, links get ``rel="noopener noreferrer"`` and only http(s)/mailto URLs.
    """
    if not text:
        return mark_safe("")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=MARKDOWN_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above


def clean_snippet(snippet: str) -> SafeString:
    """A search highlight snippet as safe HTML: only ``<mark>`` is kept."""
    return mark_safe(nh3.clean(snippet or "", tags=SNIPPET_TAGS, attributes={}))  # noqa: S308


def asset_url(urn: str) -> str:
    """The web page of the asset with ``urn`` (``/assets/<urn>``)."""
    return reverse("catalog:asset", kwargs={"urn": urn})


def home(request: HttpRequest) -> HttpResponse:
    """``GET /``: the search box, recently harvested assets and counts by platform/type."""
    live = Asset.objects.filter(removed=False)
    recent = list(live.order_by("-last_seen", "-id")[:12])
    by_platform = list(live.values("platform").annotate(n=Count("id")).order_by("-n", "platform"))
    by_type = list(live.values("type").annotate(n=Count("id")).order_by("-n", "type"))
    context = {
        "recent": recent,
        "by_platform": by_platform,
        "by_type": by_type,
        "total": live.count(),
        "fields_total": Field.objects.filter(asset__removed=False).count(),
    }
    extensions = page_extensions()
    for extension in extensions:
        context.update(extension.home_context())
        context.update(extension.home_user_context(request))
    context["home_templates"] = [e.home_template for e in extensions if e.home_template]
    return render(request, "catalog/home.html", context)


def _search_backend():
    """Import :mod:`catalog.search` lazily so a missing/broken backend degrades the page."""
    from catalog import search as search_module

    return search_module


def search(request: HttpRequest) -> HttpResponse:
    """``GET /search?q=&type=&platform=&source=&owner=&tag=&page=``: ranked results.

    Facet filters repeat (``type=table&type=view``); values OR within a facet and AND
    across facets. Bad filters or pages show a friendly message, never a stack trace.
    """
    q = request.GET.get("q", "").strip()
    filters = {
        name: [v for v in request.GET.getlist(name) if v]
        for name in FACET_LABELS
        if request.GET.getlist(name)
    }
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    error = ""
    data = {"count": 0, "results": [], "facets": {}, "corrections": {}}
    try:
        data = _search_backend().search(q, filters, page, PAGE_SIZE)
    except Exception as exc:  # noqa: BLE001 - show a message, log the details
        log.warning("search failed for %r %r: %s", q, filters, exc)
        error = str(exc) if isinstance(exc, ValueError) else "Search is unavailable right now."
    results = []
    badges: dict[str, list] = {}
    urns = [hit["urn"] for hit in data.get("results", [])]
    for extension in page_extensions() if urns else []:
        for urn, items in extension.hit_badges(urns).items():
            badges.setdefault(urn, []).extend(items)
    for hit in data.get("results", []):
        highlights = hit.get("highlights") or []
        # a description match is shown in the description line itself, not a second time
        described = [h for h in highlights if h.get("field") == "description"]
        results.append(
            {
                **hit,
                "url": asset_url(hit["urn"]) + "?from=search",
                "badges": badges.get(hit["urn"], []),
                "matched_name": any(h.get("field") in TITLE_FIELDS for h in highlights),
                "description_snippet": clean_snippet(described[0]["snippet"]) if described else "",
                "highlights": [
                    {
                        "field": HIGHLIGHT_LABELS.get(h.get("field", ""), h.get("field", "")),
                        "snippet": clean_snippet(h.get("snippet", "")),
                    }
                    for h in highlights
                    if h.get("field") not in TITLE_FIELDS and h.get("field") != "description"
                ][:3],
            }
        )
    count = data.get("count", 0)
    pages = max(1, math.ceil(count / PAGE_SIZE))
    facets = []
    for name, label in FACET_LABELS.items():
        values = data.get("facets", {}).get(name) or []
        chosen = set(filters.get(name, []))
        if not values and not chosen:
            continue
        options = [
            {"value": v["value"], "count": v["count"], "checked": v["value"] in chosen}
            for v in values
        ]
        known = {o["value"] for o in options}
        options += [{"value": v, "count": 0, "checked": True} for v in sorted(chosen - known)]
        facets.append({"name": name, "label": label, "options": options})

    def page_url(number: int) -> str:
        params = [("q", q)] if q else []
        params += [(name, v) for name, values in filters.items() for v in values]
        params.append(("page", str(number)))
        return "?" + urlencode(params)

    active = [
        {
            "name": name,
            "label": FACET_LABELS[name],
            "value": v,
            "remove_url": "?"
            + urlencode(
                ([("q", q)] if q else [])
                + [(n, x) for n, xs in filters.items() for x in xs if (n, x) != (name, v)]
            ),
        }
        for name, values in filters.items()
        for v in values
    ]
    return render(
        request,
        "catalog/search.html",
        {
            "q": q,
            "results": results,
            "count": count,
            "count_approximate": bool(data.get("count_approximate")),
            "facets": facets,
            "active_filters": active,
            "corrections": data.get("corrections") or {},
            "page": page,
            "pages": pages,
            "first_index": (page - 1) * PAGE_SIZE + 1 if results else 0,
            "last_index": (page - 1) * PAGE_SIZE + len(results),
            "prev_url": page_url(page - 1) if page > 1 else "",
            "next_url": page_url(page + 1) if page < pages else "",
            "error": error,
        },
    )


def asset_detail(request: HttpRequest, urn: str) -> HttpResponse:
    """``GET /assets/<urn>?tab=schema|…``: the asset page.

    404 (friendly page) if no asset has this URN. The header shows name, type, platform,
    qualified name, owners, tags, sources and when it was last harvested; the schema tab
    is the catalog's, other tabs, header facts and panels come from the apps registered
    in :mod:`catalog.pages` (lineage: lineage, impact and runs).
    """
    asset = get_object_or_404(
        Asset.objects.prefetch_related(
            "tags",
            "curated_tags",
            # hidden ones too (governance lists them for its curation form), one query
            Prefetch(
                "ownerships",
                queryset=Ownership.all_objects.select_related("owner"),
                to_attr="all_ownerships",
            ),
            Prefetch(
                "provenance", queryset=AssetSource.objects.select_related("source", "last_run")
            ),
        ),
        urn=urn,
    )
    is_job = asset.kind == AssetKind.JOB
    extensions = page_extensions()
    tabs = [AssetTab("schema", "Schema", "catalog/_schema.html")]
    context = {}
    for extension in extensions:
        tabs += extension.tabs(asset, is_job)
        context.update(extension.header_context(asset, is_job))
    by_name = {t.name: t for t in tabs}
    tab = request.GET.get("tab", "schema")
    if tab not in by_name:
        tab = "schema"
    fields = list(asset.fields.all())
    for f in fields:
        f.fk_name = short_name(f.fk_target_urn) if f.fk_target_urn else ""
    context.update(
        {
            "asset": asset,
            "description_html": render_markdown(asset.effective_description),
            "fields": fields,
            "owners": [o for o in asset.all_ownerships if not o.hidden],
            "tags": _effective_tags(asset),
            "sources": list(asset.provenance.all()),
            "tabs": [t.name for t in tabs],
            "tab_items": tabs,
            "tab": tab,
            "tab_template": by_name[tab].template,
            "tab_scripts": by_name[tab].scripts,
            "header_templates": [e.header_template for e in extensions if e.header_template],
            "panel_templates": [e.panel_template for e in extensions if e.panel_template],
            "is_job": is_job,
            "view_definition": asset.properties.get("view_definition")
            or (asset.properties.get("dbt") or {}).get("compiled_code")
            or (asset.properties.get("dbt") or {}).get("raw_code")
            or (asset.properties.get("sql") if is_job else None),
        }
    )
    extra = []
    for extension in extensions:
        context.update(extension.tab_context(request, asset, tab))
        extra += extension.tab_templates(asset, tab)
    context["tab_extra_templates"] = extra
    if "tab" not in request.GET:
        for extension in extensions:
            extension.asset_viewed(request, asset)
    if tab == "schema" and not is_job:
        context["schema_columns"] = [
            c for extension in extensions for c in extension.schema_columns(asset, fields)
        ]
        for f in fields:
            f.extra_cells = [c.values.get(f.name, ("", "")) for c in context["schema_columns"]]
        context["quality"] = latest_quality(asset)
        context["quality_summary"] = quality_summary(context["quality"])
    return render(request, "catalog/asset.html", context)


def _effective_tags(asset: Asset) -> list:
    """Harvested tags, then curated ones (governance) not among them, each a Tag."""
    tags = list(asset.tags.all())
    names = {t.name for t in tags}
    return tags + [t for t in asset.curated_tags.all() if t.name not in names]


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: a friendly page (or a JSON error under ``/api/``), status 404."""
    if _wants_json(request):
        return JsonResponse({"detail": "Not found.", "path": request.path}, status=404)
    message = ""
    if isinstance(exception, Http404) and exception.args:
        message = str(exception.args[0]) if "No Asset matches" not in str(exception.args[0]) else ""
    return render(request, "404.html", {"message": message, "path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a friendly page (or a JSON error under ``/api/``), status 500.

    Renders ``500.html`` without the request context so it works whatever broke.
    """
    if _wants_json(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
