"""Search endpoints: ``GET /api/v1/search`` and ``GET /api/v1/search/suggest``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.search import FACETS, SearchError, SearchUnavailable, search, suggest
from catalog.search.base import MAX_PAGE_SIZE


class Unavailable(APIException):
    """503: the search engine does not answer (the detail says which, never where)."""

    status_code = 503
    default_code = "search_unavailable"


FILTER_PARAMS = [
    OpenApiParameter(
        facet,
        str,
        many=True,
        description=f"Keep assets whose {facet} is one of "
        "these values (repeat the parameter: OR within a facet, AND across facets)",
    )
    for facet in FACETS
]


def _positive_int(params, name: str, default: int, maximum: int | None = None) -> int:
    """An integer query parameter ≥ 1 (≤ ``maximum``); 400 naming it otherwise."""
    if name not in params:
        return default
    raw = params.get(name)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1 or (maximum and int(raw) > maximum):
        bound = f" between 1 and {maximum}" if maximum else " ≥ 1"
        raise ValidationError({name: [f"must be an integer{bound}, got {raw!r}"]})
    return int(raw)


class SearchView(APIView):
    """``GET /api/v1/search?q=&type=&platform=&tag=&owner=&source=&page=&page_size=``.

    Returns ``{count, results: [{urn, name, type, platform, qualified_name, description,
    highlights: [{field, snippet}], score}], facets: {facet: [{value, count}]},
    corrections: {typed term: [indexed terms used]}}``. ``snippet`` is HTML-escaped text
    with ``<mark>`` around matches. Exact name / qualified-name matches rank first, then
    field-weighted relevance. ``page`` is 1-based, ``page_size`` 1..100 (default 20);
    400 with the parameter named for a bad value; 503 when the search engine (an
    OpenSearch cluster) does not answer.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Free text (typos tolerated)"),
            *FILTER_PARAMS,
            OpenApiParameter("page", int, description="1-based page number"),
            OpenApiParameter("page_size", int, description=f"1..{MAX_PAGE_SIZE}, default 20"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params = request.query_params
        page = _positive_int(params, "page", 1)
        page_size = _positive_int(params, "page_size", 20, MAX_PAGE_SIZE)
        filters = {f: params.getlist(f) for f in FACETS if params.getlist(f)}
        try:
            return Response(search(params.get("q", ""), filters, page, page_size))
        except SearchError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        except SearchUnavailable as exc:
            raise Unavailable(str(exc)) from None


class SuggestView(APIView):
    """``GET /api/v1/search/suggest?q=cust&limit=10`` → ``{results: [{urn, name,
    qualified_name, type, platform}]}``: assets whose name (or a word of it) starts with
    ``q``, exact name first; ``limit`` 1..50 (default 10); 503 when the search engine
    does not answer."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Prefix typed so far"),
            OpenApiParameter("limit", int, description="1..50, default 10"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        limit = _positive_int(request.query_params, "limit", 10, 50)
        try:
            return Response({"results": suggest(request.query_params.get("q", ""), limit)})
        except SearchUnavailable as exc:
            raise Unavailable(str(exc)) from None
