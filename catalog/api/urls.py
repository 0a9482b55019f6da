"""URLs of the catalog API."""

from django.urls import path

from catalog.api.search import SearchView, SuggestView
from catalog.api.views import AssetDetailView, AssetListView

urlpatterns = [
    path("assets", AssetListView.as_view(), name="api-asset-list"),
    path("assets/<path:urn>", AssetDetailView.as_view(), name="api-asset-detail"),
    path("search", SearchView.as_view(), name="api-search"),
    path("search/suggest", SuggestView.as_view(), name="api-search-suggest"),
]
