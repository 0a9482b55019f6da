"""Token API routes (included under ``/api/v1/``)."""

from django.urls import path

from identity.api.views import TokenDetailView, TokenListView

urlpatterns = [
    path("tokens", TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:pk>", TokenDetailView.as_view(), name="api-token"),
]
