"""Admin pages of the lineage app: edges and OpenLineage runs and events (read mostly;
harvests and OpenLineage intake write them)."""

from django.contrib import admin

from lineage.models import FieldLineageEdge, JobRun, LineageEdge, OpenLineageEvent


@admin.register(LineageEdge)
class LineageEdgeAdmin(admin.ModelAdmin):
    """Dataset edges with their job and the source that reported them."""

    list_display = ["id", "upstream", "downstream", "job", "origin", "last_seen"]
    list_filter = ["origin"]
    list_select_related = ["upstream", "downstream", "job", "origin"]
    search_fields = ["upstream__urn", "downstream__urn", "job__urn"]
    raw_id_fields = ["upstream", "downstream", "job", "run"]


@admin.register(FieldLineageEdge)
class FieldLineageEdgeAdmin(admin.ModelAdmin):
    """Column edges with their transformation."""

    list_display = ["id", "upstream", "downstream", "transformation", "subtype", "origin"]
    list_filter = ["transformation", "origin"]
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
