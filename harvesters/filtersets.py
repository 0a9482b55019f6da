"""FilterSets of the harvesters app: sources (``GET /api/v1/sources``).

The runs' filters (``source``, ``status``) are ``harvesters.api.views.RunFilterSet``.
"""

import django_filters

from catalog.models import Source


class SourceFilterSet(django_filters.FilterSet):
    """Filters of sources: ``kind`` (``sql``, ``dbt``, ``lake``, ``openlineage``...),
    ``enabled`` (true/false), ``q`` (case-insensitive substring of the name)."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    kind = django_filters.CharFilter()
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = Source
        fields = ["q", "kind", "enabled"]
