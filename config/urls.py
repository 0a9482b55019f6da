"""Root URL configuration: web pages, the REST API, its OpenAPI schema and docs."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # Source, HarvestRun and AssetSource moved to the catalog app: old admin links redirect
    re_path(
        r"^admin/harvesters/(?P<rest>(?:source|harvestrun|assetsource)/.*)$",
        RedirectView.as_view(url="/admin/catalog/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # usage first: its assets/<urn>/usage must win over the catalog's assets/<path:urn>
    path("api/v1/", include("usage.api.urls")),
    path("api/v1/", include("catalog.api.urls")),
    # harvesters first: its /api/v1/lineage view adds OpenLineage POST to lineage's GET
    path("api/v1/", include("harvesters.api.urls")),
    path("api/v1/", include("lineage.api.urls")),
    path("api/v1/", include("products.api.urls")),
    path("", include("products.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("harvesters.urls")),
    path("", include("catalog.urls")),
]

handler404 = "catalog.views.page_not_found"
handler500 = "catalog.views.server_error"
