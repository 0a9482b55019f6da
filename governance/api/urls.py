"""URLs of the governance API (mounted under ``/api/v1/`` before the catalog's, so its
``assets/<urn>`` view adds PATCH to the catalog's GET)."""

from django.urls import path, re_path

from governance.api import views

urlpatterns = [
    re_path(
        r"^assets/(?P<urn>.+)/history$", views.AssetHistoryView.as_view(), name="api-asset-history"
    ),
    re_path(
        r"^assets/(?P<urn>.+)/classification$",
        views.AssetClassificationView.as_view(),
        name="api-asset-classification",
    ),
    path("classifications/<int:pk>", views.DecisionView.as_view(), name="api-class-decide"),
    path("classification/classes", views.DataClassList.as_view(), name="api-data-classes"),
    path("assets/<path:urn>", views.AssetCurationView.as_view(), name="api-asset-curate"),
    path("policies", views.PolicyList.as_view(), name="api-policies"),
    path("scorecards", views.ScorecardList.as_view(), name="api-scorecards"),
    path(
        "scorecards/products/<str:uid>",
        views.ProductScorecardView.as_view(),
        name="api-product-scorecard",
    ),
    path(
        "scorecards/domains/<slug:slug>",
        views.DomainScorecardView.as_view(),
        name="api-domain-scorecard",
    ),
    path("glossary/terms", views.TermList.as_view(), name="api-term-list"),
    path("glossary/terms/<slug:slug>", views.TermDetail.as_view(), name="api-term-detail"),
    path("glossary/groups", views.GroupList.as_view(), name="api-term-groups"),
    path("glossary/export", views.GlossaryExport.as_view(), name="api-glossary-export"),
    path("glossary/import", views.GlossaryImport.as_view(), name="api-glossary-import"),
]
