"""Web routes of the notifications app."""

from django.urls import path, register_converter

from notifications import views


class KindConverter:
    """A subscription target kind (``asset``, ``product``, ``port``, ``domain``, ``source``)."""

    regex = "asset|product|port|domain|source"

    def to_python(self, value: str) -> str:
        """The kind as is."""
        return value

    def to_url(self, value: str) -> str:
        """The kind as is."""
        return value


register_converter(KindConverter, "kind")

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/bell", views.bell, name="bell"),
    path("notifications/read", views.mark_read, name="read"),
    path("notifications/<int:pk>/open", views.open_notification, name="open"),
    path("subscriptions/", views.my_subscriptions, name="subscriptions"),
    path("subscriptions/email", views.email_settings, name="email"),
    path("subscriptions/button/<kind:kind>/<int:target_id>", views.watch_button, name="button"),
    path("subscriptions/<kind:kind>/<int:target_id>", views.watch, name="watch"),
    path("subscriptions/port/<int:port_id>/mute-button", views.port_button, name="port-button"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new", views.incident_new, name="incident-new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/<slug:action>", views.incident_act, name="incident-act"),
]
