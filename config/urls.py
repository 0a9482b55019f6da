"""Root URL configuration: web pages, the REST API, its OpenAPI schema and docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from the drf-spectacular-sidecar package (no CDN); the split view serves
    # its script as a separate file, so the Content-Security-Policy needs no inline script
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include("lineage.api.urls")),
    path("api/v1/", include("harvesters.api.urls")),
    path("api/v1/", include("products.api.urls")),
    path("", include("products.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("harvesters.urls")),
    path("", include("catalog.urls")),
]

handler404 = "catalog.views.page_not_found"
handler500 = "catalog.views.server_error"
