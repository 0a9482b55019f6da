"""Admin pages for sources and harvest runs."""

from django.contrib import admin

from catalog.models import HarvestRun, Source
from harvesters.admin_forms import SourceAdminForm


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Sources with their kind; secrets in ``config`` are masked (SourceAdminForm)."""

    form = SourceAdminForm
    list_display = ["name", "kind", "owner_team", "enabled", "created_at"]


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    """Runs with status, timing and report."""

    list_display = ["id", "source", "status", "started_at", "ended_at", "removed_count"]
    list_filter = ["status", "source"]
    readonly_fields = ["counts", "warnings", "errors", "progress"]
