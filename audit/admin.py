"""Admin: the audit trail is read only (no add, change or delete)."""

from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only list of entries with filters by action."""

    list_display = ("seq", "at", "actor_name", "action", "subject_type", "subject_label")
    list_filter = ("action",)
    search_fields = ("actor_name", "subject_label", "action")
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
