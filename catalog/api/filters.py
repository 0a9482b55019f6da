"""A django-filter backend that refuses what the schema does not allow (400).

django-filter ignores an empty value (``?status=``, ``?port=``, ``?until=``) and uses the
last of repeated values (``?status=a&status=b``); ``BooleanFilter`` reads ``1``/``0`` as
well as ``true``/``false``. The documented schema allows none of these for a typed
parameter (a number, a date-time, a choice, a boolean: every filter but the free-text
``CharFilter`` and the repeatable ``MultipleChoiceFilter``), so
:class:`StrictFilterBackend` answers 400 naming the parameter instead.
"""

from decimal import Decimal, InvalidOperation

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BOOLEAN_VALUES = {"true", "false"}
#: the largest id or count a database column holds (64-bit signed); beyond it SQLite
#: raises OverflowError and PostgreSQL a DataError, so such a value is a 400
LARGEST = 2**63 - 1


def _out_of_range(value: str) -> bool:
    """Whether a number filter's value is a number too large for a database integer."""
    try:
        return abs(Decimal(value)) > LARGEST
    except (InvalidOperation, ValueError):
        return False  # not a number: the filter itself answers 400


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend plus: typed filters (numbers, dates, choices, booleans) must be
    given once and not empty; booleans must be ``true`` or ``false``; numbers must fit a
    database integer."""

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
            if isinstance(flt, django_filters.NumberFilter) and any(map(_out_of_range, values)):
                problems[name] = [f"must be at most {LARGEST}"]
                continue
            if isinstance(flt, django_filters.CharFilter | django_filters.MultipleChoiceFilter):
                continue  # free text (may be empty) or a repeatable choice
            if len(values) > 1:
                problems[name] = ["give this parameter once"]
            elif values[0] == "":
                problems[name] = ["must not be empty"]
            elif isinstance(flt, django_filters.BooleanFilter) and values[0] not in BOOLEAN_VALUES:
                problems[name] = ["must be true or false"]
        if problems:
            raise ValidationError(problems)
        return filterset
