"""FilterSets of governance, shared by pages and the API."""

import django_filters
from django.db.models import Q

from governance.models import CurationChange, GlossaryTerm, TermStatus


class TermFilterSet(django_filters.FilterSet):
    """Glossary terms: ``q`` (name contains, or a synonym contains: matched in the JSON
    text), ``status``, ``group`` (group slug)."""

    q = django_filters.CharFilter(method="filter_q", label="Name or synonym")
    status = django_filters.ChoiceFilter(choices=TermStatus.choices)
    group = django_filters.CharFilter(field_name="group__slug")

    class Meta:
        model = GlossaryTerm
        fields = ["q", "status", "group"]

    def filter_q(self, queryset, name, value):
        """Name or any synonym containing ``value`` (case-insensitive)."""
        return queryset.filter(Q(name__icontains=value) | Q(synonyms__icontains=value))


class CurationChangeFilterSet(django_filters.FilterSet):
    """Curation history: ``field`` (column name, empty for the asset), ``attribute``,
    ``author`` (user name)."""

    field = django_filters.CharFilter(field_name="field_name")
    attribute = django_filters.CharFilter()
    author = django_filters.CharFilter(field_name="author_name")

    class Meta:
        model = CurationChange
        fields = ["field", "attribute", "author"]
