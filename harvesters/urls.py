"""Web routes of the harvesters: the sources page, "Harvest now" and run progress."""

from django.urls import path

from harvesters import views

app_name = "harvesters"

urlpatterns = [
    path("sources/", views.source_list, name="sources"),
    path("sources/<int:pk>/harvest", views.harvest_now, name="harvest"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/restore", views.restore_run, name="run-restore"),
    path("runs/<int:pk>/progress", views.run_progress, name="run-progress"),
]
