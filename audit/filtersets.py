"""Filters of the audit trail (API and page): action, actor, subject, time range."""

import django_filters

from audit.models import AuditEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    """``action`` (exact or a prefix ending in ``.``, e.g. ``access.``), ``actor``
    (username), ``subject_type`` (``access.accessrequest``), ``subject_id``, ``since`` /
    ``until`` (ISO 8601 times, inclusive)."""

    action = django_filters.CharFilter(method="filter_action")
    actor = django_filters.CharFilter(field_name="actor_name")
    subject_type = django_filters.CharFilter()
    subject_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lte")

    class Meta:
        model = AuditEntry
        fields = ["action", "actor", "subject_type", "subject_id", "since", "until"]

    def filter_action(self, queryset, name, value):
        """Exact action, or every action under a prefix ending with a dot."""
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)
