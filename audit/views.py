"""The audit page: the trail, filtered and paginated, for auditors and staff."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from audit.csvexport import entries_csv
from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from audit.permissions import can_read_audit

PAGE_SIZE = 100


@login_required
def audit_list(request):
    """``/audit/``: entries newest first, filters as in the API (action, actor,
    subject_type, subject_id, since, until), 100 per page; ``?format=csv`` downloads.
    403 for users who are neither auditors nor staff."""
    if not can_read_audit(request.user):
        raise PermissionDenied("Only auditors and staff may read the audit trail.")
    filterset = AuditEntryFilterSet(request.GET, queryset=AuditEntry.objects.all())
    entries = filterset.qs
    if request.GET.get("format") == "csv":
        response = HttpResponse(entries_csv(entries[:100_000]), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_list.html",
        {"page": page, "filters": request.GET, "query": query.urlencode()},
    )
