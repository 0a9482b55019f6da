"""Web pages of data products and domains (``/products/…``, ``/domains/…``, ``/teams/…``)."""

from django.urls import path

from products.views import domains as domain_views
from products.views import products as views
from products.views import teams as team_views

app_name = "products"
urlpatterns = [
    path("products/", views.product_list, name="list"),
    path("products/new/", views.product_edit, name="create"),
    path("products/<str:uid>/", views.product_detail, name="detail"),
    path("products/<str:uid>/edit/", views.product_edit, name="edit"),
    path("products/<str:uid>/descriptor.yaml", views.product_descriptor, name="descriptor"),
    path("products/<str:uid>/ports/new/", views.port_edit, name="port-add"),
    path("products/<str:uid>/ports/<int:pk>/", views.port_edit, name="port-edit"),
    path("products/<str:uid>/ports/<int:pk>/delete/", views.port_delete, name="port-delete"),
    path("products/<str:uid>/inputs/new/", views.input_port_edit, name="input-add"),
    path("products/<str:uid>/inputs/<int:pk>/", views.input_port_edit, name="input-edit"),
    path(
        "products/<str:uid>/inputs/<int:pk>/delete/",
        views.input_port_delete,
        name="input-delete",
    ),
    path("products/<str:uid>/slos/new/", views.slo_edit, name="slo-add"),
    path("products/<str:uid>/slos/<int:pk>/", views.slo_edit, name="slo-edit"),
    path("products/<str:uid>/slos/<int:pk>/check/", views.slo_check, name="slo-check"),
    path("products/<str:uid>/slos/<int:pk>/delete/", views.slo_delete, name="slo-delete"),
    path("products/<str:uid>/members/new/", views.member_add, name="member-add"),
    path("products/<str:uid>/members/<int:pk>/delete/", views.member_delete, name="member-delete"),
    path("contracts/<str:uid>.odcs.yaml", views.contract_document, name="contract-document"),
    path("teams/", team_views.team_list, name="teams"),
    path("teams/new/", team_views.team_edit, name="team-create"),
    path("teams/<slug:slug>/edit/", team_views.team_edit, name="team-edit"),
    path("domains/", domain_views.domain_list, name="domains"),
    path("domains/new/", domain_views.domain_create, name="domain-create"),
    path("domains/<slug:slug>/", domain_views.domain_detail, name="domain"),
    path("domains/<slug:slug>/edit/", domain_views.domain_edit, name="domain-edit"),
]
