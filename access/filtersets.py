"""Filters of access requests and grants (API and pages)."""

import django_filters

from access.models import AccessRequest, State


class AccessRequestFilterSet(django_filters.FilterSet):
    """``state`` (repeatable), ``port`` (id), ``product`` (uid), ``level``, ``consumer``
    (username)."""

    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    port = django_filters.NumberFilter(field_name="port_id")
    product = django_filters.CharFilter(field_name="port__product__uid")
    level = django_filters.CharFilter()
    consumer = django_filters.CharFilter(field_name="consumer__username")

    class Meta:
        model = AccessRequest
        fields = ["state", "port", "product", "level", "consumer"]
