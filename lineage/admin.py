"""Admin pages of the lineage app: edges and OpenLineage runs and events (read mostly;
harvests and OpenLineage intake write them).

Edges are read-only here: they are never hard-deleted (history), and manual edits go
through :mod:`lineage.services` (the lineage tab and ``/api/v1/lineage/edges``), which
checks who may.
"""

from django.contrib import admin

from lineage.models import FieldLineageEdge, JobRun, LineageEdge, OpenLineageEvent


class EdgeHistoryAdmin(admin.ModelAdmin):
    """Read-only edge pages (view permission only)."""

    def has_add_permission(self, request) -> bool:
        """Manual edges are added through lineage.services, not here."""
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        """Edits go through lineage.services (hide, end), never here."""
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """Edges are never hard-deleted (their validity interval is their history)."""
        return False


@admin.register(LineageEdge)
class LineageEdgeAdmin(EdgeHistoryAdmin):
    """Dataset edges with their job, provenance and validity."""

    list_display = [
        "id", "upstream", "downstream", "job", "provenance", "origin", "author", "valid_from",
        "valid_to", "hidden_at", "last_seen",
    ]  # fmt: skip
    list_filter = ["provenance", "origin"]
    list_select_related = ["upstream", "downstream", "job", "origin"]
    search_fields = ["upstream__urn", "downstream__urn", "job__urn"]
    raw_id_fields = ["upstream", "downstream", "job", "run"]


@admin.register(FieldLineageEdge)
class FieldLineageEdgeAdmin(EdgeHistoryAdmin):
    """Column edges with their transformation, provenance and validity."""

    list_display = [
        "id", "upstream", "downstream", "transformation", "subtype", "provenance", "origin",
        "valid_from", "valid_to", "hidden_at",
    ]  # fmt: skip
    list_filter = ["transformation", "provenance", "origin"]
    list_select_related = ["upstream__asset", "downstream__asset", "origin"]
    raw_id_fields = ["upstream", "downstream", "job", "run"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Runs of jobs built from OpenLineage RunEvents."""

    list_display = ["run_id", "job", "state", "started_at", "ended_at", "event_count"]
    list_filter = ["state"]
    list_select_related = ["job"]
    search_fields = ["run_id", "job__urn"]
    raw_id_fields = ["job"]


@admin.register(OpenLineageEvent)
class OpenLineageEventAdmin(admin.ModelAdmin):
    """OpenLineage events as received."""

    list_display = ["id", "kind", "event_type", "event_time", "job_namespace", "job_name"]
    list_filter = ["kind", "event_type"]
    search_fields = ["job_name", "job_namespace", "event_hash"]
    readonly_fields = ["payload"]
    raw_id_fields = ["origin"]
