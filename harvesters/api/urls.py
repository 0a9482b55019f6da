"""URLs of the harvesters API."""

from django.urls import path

from harvesters.api.views import (
    HarvestNowView,
    RunDetailView,
    RunListView,
    SourceDetailView,
    SourceListView,
)
from harvesters.kinds.openlineage.api import LineageBatchView, LineageIntakeView
from harvesters.kinds.push.api import AssetBulkView

urlpatterns = [
    # OpenLineage intake (Marquez-compatible); GET on the same path is the lineage graph
    path("lineage", LineageIntakeView.as_view(), name="api-lineage"),
    path("lineage/batch", LineageBatchView.as_view(), name="api-lineage-batch"),
    # push API for any harvester (before the catalog's assets/<path:urn>: config/urls.py)
    path("assets/bulk", AssetBulkView.as_view(), name="api-assets-bulk"),
    path("sources", SourceListView.as_view(), name="api-source-list"),
    path("sources/<int:pk>", SourceDetailView.as_view(), name="api-source-detail"),
    path("sources/<int:pk>/harvest", HarvestNowView.as_view(), name="api-source-harvest"),
    path("runs", RunListView.as_view(), name="api-run-list"),
    path("runs/<int:pk>", RunDetailView.as_view(), name="api-run-detail"),
]
