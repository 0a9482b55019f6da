"""Web routes of the harvesters: the sources page, "Harvest now" and run progress."""

from django.urls import path

from harvesters import source_views, views

app_name = "harvesters"

urlpatterns = [
    path("sources/", views.source_list, name="sources"),
    path("sources/new", source_views.source_new, name="source-new"),
    path("sources/<int:pk>/edit", source_views.source_edit, name="source-edit"),
    path("sources/<int:pk>/enabled", source_views.source_enabled, name="source-enabled"),
    path("sources/<int:pk>/delete", source_views.source_delete, name="source-delete"),
    path("sources/<int:pk>/harvest", views.harvest_now, name="harvest"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/restore", views.restore_run, name="run-restore"),
    path("runs/<int:pk>/progress", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/cancel", views.cancel, name="run-cancel"),
    path("runs/<int:pk>/resume", views.resume_run, name="run-resume"),
]
