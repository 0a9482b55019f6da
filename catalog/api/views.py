"""Read-only asset endpoints: ``GET /api/v1/assets`` and ``GET /api/v1/assets/<urn>``."""

from django.shortcuts import get_object_or_404
from rest_framework import generics

from catalog.api.serializers import AssetDetailSerializer, AssetListSerializer
from catalog.filtersets import AssetFilterSet
from catalog.models import Asset


class AssetListView(generics.ListAPIView):
    """List assets, paginated ``{count, next, previous, results}``.

    Filters (see :class:`catalog.filtersets.AssetFilterSet`): ``q``, ``kind``, ``type``,
    ``platform``, ``tag``, ``owner``, ``source``, ``removed``; ``page`` for paging.
    """

    queryset = Asset.objects.all()
    serializer_class = AssetListSerializer
    filterset_class = AssetFilterSet


class AssetDetailView(generics.RetrieveAPIView):
    """One asset by URN, with ``fields[]``, owners, tags and sources; 404 if unknown."""

    serializer_class = AssetDetailSerializer
    queryset = Asset.objects.prefetch_related(
        "fields", "ownerships__owner", "tags", "curated_tags", "provenance__source"
    )

    def get_object(self) -> Asset:
        return get_object_or_404(self.get_queryset(), urn=self.kwargs["urn"])
