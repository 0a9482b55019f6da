"""URLs of the harvesters API."""

from django.urls import path

from harvesters.api.views import (
    HarvestNowView,
    RunCancelView,
    RunChangesView,
    RunDetailView,
    RunListView,
    RunRestoreView,
    RunResumeView,
    SourceDetailView,
    SourceListView,
    SourceProbeStoredView,
    SourceProbeView,
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
    path("sources/test-connection", SourceProbeView.as_view(), name="api-source-probe"),
    path("sources/<int:pk>", SourceDetailView.as_view(), name="api-source-detail"),
    path(
        "sources/<int:pk>/test-connection",
        SourceProbeStoredView.as_view(),
        name="api-source-probe-stored",
    ),
    path("sources/<int:pk>/harvest", HarvestNowView.as_view(), name="api-source-harvest"),
    path("runs", RunListView.as_view(), name="api-run-list"),
    path("runs/<int:pk>", RunDetailView.as_view(), name="api-run-detail"),
    path("runs/<int:pk>/cancel", RunCancelView.as_view(), name="api-run-cancel"),
    path("runs/<int:pk>/changes", RunChangesView.as_view(), name="api-run-changes"),
    path("runs/<int:pk>/restore", RunRestoreView.as_view(), name="api-run-restore"),
    path("runs/<int:pk>/resume", RunResumeView.as_view(), name="api-run-resume"),
]
