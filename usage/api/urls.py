"""URLs of the usage API (included before the catalog's ``assets/<path:urn>``)."""

from django.urls import path

from usage.api.views import AssetUsageView, TopUsageView

urlpatterns = [
    path("assets/<path:urn>/usage", AssetUsageView.as_view(), name="api-asset-usage"),
    path("usage/top", TopUsageView.as_view(), name="api-usage-top"),
]
