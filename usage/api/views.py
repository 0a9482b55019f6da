"""Usage endpoints: ``GET /api/v1/assets/<urn>/usage`` and ``GET /api/v1/usage/top``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.params import int_param, single
from catalog.models import Asset
from usage.api.serializers import AssetUsageSerializer, TopAssetSerializer
from usage.catalog_usage import asset_views
from usage.queries import asset_usage, parse_window, top_assets

WINDOW = OpenApiParameter(
    "window",
    int,
    description="Days of usage to sum, ending today (1-365; default MESH_USAGE_POPULARITY_DAYS, 30)",
)


def _window(request) -> int:
    try:
        raw = single(request.query_params, "window")
        if raw == "":
            raise ValueError("window must be a whole number of days, not empty")
        return parse_window(raw)
    except ValueError as exc:
        raise ValidationError({"window": [str(exc)]}) from None


class AssetUsageView(APIView):
    """Usage of one asset over a window: daily counts, top users, columns, co-used
    assets, top queries, and views of its catalog page (``page_views``). 404 for an unknown URN; 400 for a bad ``window``."""

    @extend_schema(parameters=[WINDOW], responses=AssetUsageSerializer, tags=["usage"])
    def get(self, request, urn: str):
        """Return the asset's usage (see :func:`usage.queries.asset_usage`)."""
        asset = get_object_or_404(Asset, urn=urn)
        usage = asset_usage(asset, _window(request))
        usage["page_views"] = asset_views(asset, usage["window_days"])
        return Response(AssetUsageSerializer(usage).data)


class TopUsageView(APIView):
    """The most queried assets over a window, filtered by platform, domain or product.
    400 for a bad ``window`` or ``limit``."""

    @extend_schema(
        parameters=[
            WINDOW,
            OpenApiParameter("platform", str, description="asset platform, e.g. postgres"),
            OpenApiParameter("domain", str, description="domain name or slug of the product"),
            OpenApiParameter("product", str, description="data product name or uid"),
            OpenApiParameter("limit", int, description="how many assets (1-200, default 20)"),
        ],
        responses=TopAssetSerializer(many=True),
        tags=["usage"],
    )
    def get(self, request):
        """Return ``[{urn, name, platform, queries, users, popularity}]``, most used first."""
        params = request.query_params
        limit = int_param(params, "limit", 20, 1, 200)
        rows = top_assets(
            _window(request),
            single(params, "platform") or "",
            single(params, "domain") or "",
            single(params, "product") or "",
            limit,
        )
        return Response(TopAssetSerializer(rows, many=True).data)
