"""URLs of the lineage API (read side: graph, column lineage, impact, job runs).

``POST /api/v1/lineage`` and ``/api/v1/lineage/batch`` (OpenLineage intake) belong to the
``openlineage`` source kind: :mod:`harvesters.api.urls`, included first.
"""

from django.urls import path

from lineage.api.views import ColumnLineageView, ImpactView, JobRunsView, LineageView

urlpatterns = [
    path("lineage", LineageView.as_view(), name="api-lineage"),
    path("jobs/<path:urn>/runs", JobRunsView.as_view(), name="api-job-runs"),
    path("column-lineage", ColumnLineageView.as_view(), name="api-column-lineage"),
    path("impact", ImpactView.as_view(), name="api-impact"),
]
