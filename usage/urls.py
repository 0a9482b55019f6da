"""Web routes of the usage app."""

from django.urls import path

from usage import views

app_name = "usage"
urlpatterns = [
    path("usage/ports/<int:port_id>/section", views.port_section, name="port-section"),
    path("usage/preferences", views.preferences, name="preferences"),
]
