"""URLs of the notifications API (mounted under ``/api/v1/``)."""

from rest_framework.routers import SimpleRouter

from notifications.api import views

router = SimpleRouter(trailing_slash=False)
router.register("incidents", views.IncidentViewSet, basename="api-incident")
router.register("subscriptions", views.SubscriptionViewSet, basename="api-subscription")
router.register("notifications", views.NotificationViewSet, basename="api-notification")
router.register("webhooks", views.WebhookViewSet, basename="api-webhook")
urlpatterns = router.urls
