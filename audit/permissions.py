"""Who may read the audit trail: staff, superusers and auditors (users holding the
``audit.view_auditentry`` permission, e.g. through an ``auditors`` group)."""

from rest_framework.permissions import BasePermission


def can_read_audit(user) -> bool:
    """Whether ``user`` may read the audit trail."""
    if not (user and user.is_authenticated):
        return False
    return bool(user.is_staff or user.is_superuser or user.has_perm("audit.view_auditentry"))


class CanReadAudit(BasePermission):
    """DRF permission: :func:`can_read_audit` (403 otherwise, 401/403 when signed out)."""

    message = "Only auditors and staff may read the audit trail."

    def has_permission(self, request, view) -> bool:
        return can_read_audit(request.user)
