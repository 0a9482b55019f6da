"""``GET /api/v1/audit``: the audit trail for auditors and staff, as JSON or CSV."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics

from audit.api.serializers import AuditEntrySerializer
from audit.csvexport import entries_csv
from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from audit.permissions import CanReadAudit
from catalog.api.params import choice_param

CSV_MAX_ROWS = 100_000
FORMATS = ("json", "csv")
CSV_COLUMNS = (
    "seq,at,actor_name,action,subject_type,subject_id,subject_label,before,after,detail,"
    "prev_hash,hash"
)


def _wants_csv(request) -> bool:
    """Whether ``?format=csv`` was asked for; 400 for a format outside json/csv."""
    return choice_param(request.query_params, "format", FORMATS, "json") == "csv"


class AuditList(generics.ListAPIView):
    """The audit trail, newest first, paginated ``{count, next, previous, results}``.

    Filters: ``action`` (exact, or a prefix ending in ``.``), ``actor``, ``subject_type``,
    ``subject_id``, ``since``, ``until``. ``?format=csv`` downloads the filtered entries
    (at most 100,000) as CSV. Auditors and staff only (403 otherwise). Read only: the
    trail has no update or delete endpoint.
    """

    serializer_class = AuditEntrySerializer
    permission_classes = [CanReadAudit]
    filterset_class = AuditEntryFilterSet
    queryset = AuditEntry.objects.all()

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS))],
        responses={
            (200, "application/json"): AuditEntrySerializer(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=CSV_COLUMNS),
        },
    )
    def get(self, request, *args, **kwargs):
        """JSON page of entries, or CSV with ``format=csv`` (400 for another format)."""
        if _wants_csv(request):
            entries = self.filter_queryset(self.get_queryset())[:CSV_MAX_ROWS]
            response = HttpResponse(entries_csv(entries), content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="audit.csv"'
            return response
        return super().get(request, *args, **kwargs)

    def perform_content_negotiation(self, request, force=False):
        """``format=csv`` is answered by :meth:`get`, not by a renderer."""
        if request.query_params.get("format") == "csv":  # validated again by get()
            return super().perform_content_negotiation(request, force=True)
        return super().perform_content_negotiation(request, force)
