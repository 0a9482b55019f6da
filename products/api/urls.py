"""URLs of the products API (mounted under ``/api/v1/``)."""

from django.urls import path

from products.api import contracts, views

urlpatterns = [
    path("domains", views.DomainList.as_view(), name="api-domain-list"),
    path("domains/<slug:slug>", views.DomainDetail.as_view(), name="api-domain-detail"),
    path("products", views.ProductList.as_view(), name="api-product-list"),
    path("products/<str:uid>", views.ProductDetail.as_view(), name="api-product-detail"),
    path(
        "products/<str:uid>/descriptor",
        views.ProductDescriptor.as_view(),
        name="api-product-descriptor",
    ),
    path("products/<str:uid>/slos", views.ProductSLOs.as_view(), name="api-product-slos"),
    path("slos/<int:pk>/samples", views.SLOSamples.as_view(), name="api-slo-samples"),
    path("contracts", contracts.ContractList.as_view(), name="api-contract-list"),
    path("contracts/<str:uid>", contracts.ContractDetail.as_view(), name="api-contract-detail"),
    path(
        "contracts/<str:uid>/document",
        contracts.ContractDocument.as_view(),
        name="api-contract-document",
    ),
]
