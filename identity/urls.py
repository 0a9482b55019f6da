"""Identity pages under ``/accounts/``: sign-in, sign-out, profile and token revocation."""

from django.urls import path

from identity import views

app_name = "identity"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="revoke"),
]
