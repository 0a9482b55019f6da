"""Web routes of the audit app."""

from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [path("audit/", views.audit_list, name="list")]
