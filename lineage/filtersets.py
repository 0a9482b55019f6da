"""FilterSets of the lineage app, shared by its API and pages."""

import django_filters

from lineage.models import JobRun


class JobRunFilterSet(django_filters.FilterSet):
    """Filters of a job's runs: ``state`` (START, RUNNING, COMPLETE, FAIL, ABORT, OTHER;
    repeat for OR), ``started_after`` / ``started_before`` (ISO 8601 date-times, UTC
    when no offset is given). An unknown state or a bad time is a 400 naming the filter."""

    state = django_filters.MultipleChoiceFilter(choices=JobRun.State.choices)
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = JobRun
        fields = ["state", "started_after", "started_before"]
