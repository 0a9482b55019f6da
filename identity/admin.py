"""Admin pages: global role assignments (each change sends ``role_changed``) and API tokens
(browse and revoke; tokens are created on the profile page, where the key is shown once)."""

from django.contrib import admin

from identity.models import ApiToken, RoleAssignment
from identity.tokens import revoke_token


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Grant and take away global roles (steward, auditor, admin)."""

    list_display = ["user", "role", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens without their keys (only digests are stored); the action revokes."""

    list_display = ["name", "user", "kind", "prefix", "scopes", "expires_at", "last_used_at",
                    "revoked_at"]  # fmt: skip
    list_filter = ["kind", "revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        """Never here: tokens are created on the profile page or the API."""
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        """Revoke each selected token (sends ``token_revoked``)."""
        for token in queryset.select_related("user"):
            revoke_token(request.user, token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")
