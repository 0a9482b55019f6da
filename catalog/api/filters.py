"""A django-filter backend that refuses what the schema does not allow (400).

django-filter ignores an empty value (``?status=``) and uses the last of repeated values
(``?status=a&status=b``); ``BooleanFilter`` reads ``1``/``0`` as well as
``true``/``false``. The documented schema allows none of these, so
:class:`StrictFilterBackend` answers 400 naming the parameter instead.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BOOLEAN_VALUES = {"true", "false"}


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend plus: choice and boolean filters must be given once and not
    empty; booleans must be ``true`` or ``false``."""

    def get_filterset(self, request, queryset, view):
        """The view's filterset, after checking the raw query parameters."""
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        problems = {}
        for name, flt in filterset.filters.items():
            values = request.query_params.getlist(name)
            if not values:
                continue
            multiple = isinstance(flt, django_filters.MultipleChoiceFilter)
            strict = isinstance(flt, django_filters.ChoiceFilter | django_filters.BooleanFilter)
            if not strict or multiple:
                continue
            if len(values) > 1:
                problems[name] = ["give this parameter once"]
            elif values[0] == "":
                problems[name] = ["must not be empty"]
            elif isinstance(flt, django_filters.BooleanFilter) and values[0] not in BOOLEAN_VALUES:
                problems[name] = ["must be true or false"]
        if problems:
            raise ValidationError(problems)
        return filterset
