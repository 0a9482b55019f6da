"""URLs of the audit API (mounted under ``/api/v1/``)."""

from django.urls import path

from audit.api import views

urlpatterns = [path("audit", views.AuditList.as_view(), name="api-audit-list")]
