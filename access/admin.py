"""Admin: port access policies (the approval workflow as data) and a read-only view of
requests (state changes go through :mod:`access.services`, never the admin)."""

from django.contrib import admin

from access.models import AccessRequest, PortAccessPolicy


@admin.register(PortAccessPolicy)
class PortAccessPolicyAdmin(admin.ModelAdmin):
    """Edit a port's approval steps, personal-data flag, write permission, provisioner
    and granted objects."""

    list_display = ("port", "personal_data", "allow_write", "provisioner")
    raw_id_fields = ("port",)


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """Read only: requests and grants change state only through the access service."""

    list_display = ("id", "consumer", "port", "level", "state", "end_date", "created_at")
    list_filter = ("state", "level")
    search_fields = ("consumer__username", "purpose", "principal")
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
