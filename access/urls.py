"""Web routes of the access app."""

from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("access/inbox/", views.inbox, name="inbox"),
    path("access/badge", views.badge, name="badge"),
    path("access/mine/", views.my_access, name="mine"),
    path("access/ports/<int:port_id>/request", views.request_access, name="request"),
    path("access/ports/<int:port_id>/section", views.port_section, name="port-section"),
    path("access/assets/<int:asset_id>/panel", views.asset_panel, name="asset-panel"),
    path("access/requests/<int:pk>/", views.detail, name="detail"),
    path("access/requests/<int:pk>/<slug:action>", views.act, name="act"),
]
