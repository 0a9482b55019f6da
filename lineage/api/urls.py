"""URLs of the lineage API (read side: graph, column lineage, impact, job runs; manual
edges and history: :mod:`lineage.api.edits`).

``POST /api/v1/lineage`` and ``/api/v1/lineage/batch`` (OpenLineage intake) belong to the
``openlineage`` source kind: :mod:`harvesters.api.urls`, included first.
"""

from django.urls import path

from lineage.api.edits import (
    ColumnEdgeDetailView,
    ColumnEdgeHideView,
    ColumnEdgeUnhideView,
    EdgeDetailView,
    EdgeHideView,
    EdgesView,
    EdgeUnhideView,
    SchemaDiffView,
    SchemaVersionsView,
)
from lineage.api.views import ColumnLineageView, ImpactView, JobRunsView, LineageView

urlpatterns = [
    path("lineage", LineageView.as_view(), name="api-lineage"),
    path("lineage/edges", EdgesView.as_view(), name="api-lineage-edges"),
    path("lineage/edges/<int:pk>", EdgeDetailView.as_view(), name="api-lineage-edge"),
    path("lineage/edges/<int:pk>/hide", EdgeHideView.as_view(), name="api-lineage-edge-hide"),
    path("lineage/edges/<int:pk>/unhide", EdgeUnhideView.as_view(), name="api-lineage-edge-unhide"),
    path(
        "lineage/column-edges/<int:pk>",
        ColumnEdgeDetailView.as_view(),
        name="api-lineage-column-edge",
    ),
    path(
        "lineage/column-edges/<int:pk>/hide",
        ColumnEdgeHideView.as_view(),
        name="api-lineage-column-edge-hide",
    ),
    path(
        "lineage/column-edges/<int:pk>/unhide",
        ColumnEdgeUnhideView.as_view(),
        name="api-lineage-column-edge-unhide",
    ),
    path("jobs/<path:urn>/runs", JobRunsView.as_view(), name="api-job-runs"),
    path("column-lineage", ColumnLineageView.as_view(), name="api-column-lineage"),
    path("impact", ImpactView.as_view(), name="api-impact"),
    path("schema-versions", SchemaVersionsView.as_view(), name="api-schema-versions"),
    path("schema-diff", SchemaDiffView.as_view(), name="api-schema-diff"),
]
