"""Root URL configuration: web pages, the REST API, its OpenAPI schema and docs."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from identity import views as identity_views
from identity.oidc import authenticate_view
from identity.schema_view import SchemaView

admin.site.site_header = "Mesh Catalog administration"
admin.site.site_title = "Mesh Catalog administration"
admin.site.index_title = "Sources, runs, products and teams"

urlpatterns = [
    # browsers ask for /favicon.ico whatever the page says: the catalog's logo
    path("favicon.ico", RedirectView.as_view(url=static("catalog/logo.svg"), permanent=True)),
    # Source, HarvestRun and AssetSource moved to the catalog app: old admin links redirect
    re_path(
        r"^admin/harvesters/(?P<rest>(?:source|harvestrun|assetsource)/.*)$",
        RedirectView.as_view(url="/admin/catalog/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # Swagger UI from the drf-spectacular-sidecar package (no CDN); the split view serves
    # its script as a separate file, so the Content-Security-Policy needs no inline script
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # usage first: its assets/<urn>/usage must win over the catalog's assets/<path:urn>
    path("api/v1/", include("usage.api.urls")),
    # harvesters before governance and the catalog (its assets/bulk must win over their
    # assets/<path:urn>) and before lineage (its /api/v1/lineage view adds OpenLineage
    # POST to lineage's GET)
    path("api/v1/", include("harvesters.api.urls")),
    # governance before the catalog: its assets/<urn> view adds PATCH (curation)
    path("api/v1/", include("governance.api.urls")),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include("lineage.api.urls")),
    path("api/v1/", include("products.api.urls")),
    path("api/v1/", include("identity.api.urls")),
    path("api/v1/", include("audit.api.urls")),
    path("api/v1/", include("access.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("", include("governance.urls")),
    path("", include("audit.urls")),
    path("", include("access.urls")),
    path("", include("usage.urls")),
    path("", include("notifications.urls")),
    path("", include("products.urls")),
    path("accounts/login/", identity_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", identity_views.logout_view, name="logout"),
    path("accounts/", include("identity.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("harvesters.urls")),
    path("", include("catalog.urls")),
]

if settings.MESH_OIDC_ENABLED:  # single sign-on: MESH_OIDC_ISSUER and MESH_OIDC_CLIENT_ID
    urlpatterns += [
        path("oidc/authenticate/", authenticate_view, name="oidc_authentication_init"),
        path("oidc/", include("mozilla_django_oidc.urls")),
    ]

handler404 = "catalog.views.page_not_found"
handler500 = "catalog.views.server_error"
