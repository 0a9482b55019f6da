"""URLs of the lineage API."""

from django.urls import path

from harvesters.kinds.openlineage.api import JobRunsView, LineageBatchView
from lineage.api.views import ColumnLineageView, ImpactView, LineageView

urlpatterns = [
    path("lineage", LineageView.as_view(), name="api-lineage"),
    path("lineage/batch", LineageBatchView.as_view(), name="api-lineage-batch"),
    path("jobs/<path:urn>/runs", JobRunsView.as_view(), name="api-job-runs"),
    path("column-lineage", ColumnLineageView.as_view(), name="api-column-lineage"),
    path("impact", ImpactView.as_view(), name="api-impact"),
]
