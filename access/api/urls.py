"""URLs of the access API (mounted under ``/api/v1/``)."""

from rest_framework.routers import SimpleRouter

from access.api import views

router = SimpleRouter(trailing_slash=False)
router.register("access-requests", views.AccessRequestViewSet, basename="api-access-request")
router.register("grants", views.GrantViewSet, basename="api-grant")
urlpatterns = router.urls
