"""Filters of the incident list (API)."""

import django_filters

from notifications.models import Incident, IncidentState, Severity


class IncidentFilterSet(django_filters.FilterSet):
    """``state``, ``severity``, ``cause``, ``asset`` (URN) and ``product`` (uid)."""

    state = django_filters.ChoiceFilter(choices=IncidentState.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    cause = django_filters.CharFilter()
    asset = django_filters.CharFilter(field_name="asset__urn")
    product = django_filters.CharFilter(field_name="product__uid")

    class Meta:
        model = Incident
        fields = ["state", "severity", "cause", "asset", "product"]
