"""``GET /api/schema/``: the OpenAPI schema view (kept apart from :mod:`identity.schema`,
which DRF's settings import while drf-spectacular's views are still loading)."""

import threading

from drf_spectacular.views import SpectacularAPIView

#: drf-spectacular loads its contrib extensions lazily on the first generation and is not
#: thread-safe doing so (two threads generating at once: one sees another's half-loaded
#: extension and answers 500): generate one schema at a time per process
_GENERATION = threading.Lock()


class SchemaView(SpectacularAPIView):
    """``GET /api/schema/``: drf-spectacular's schema view, one generation at a time."""

    def _get_schema_response(self, request):
        with _GENERATION:
            return super()._get_schema_response(request)
