"""The one FilterSet for assets, shared by the web catalog and ``GET /api/v1/assets``."""

import django_filters
from django.db.models import Q

from catalog.models import Asset, AssetKind, AssetType


class AssetFilterSet(django_filters.FilterSet):
    """Filters: ``q`` (substring of name or qualified name), ``kind``, ``type``,
    ``platform``, ``tag``, ``owner``, ``source`` (a source name), ``removed``
    (default false: removed assets are hidden unless asked for)."""

    q = django_filters.CharFilter(method="filter_q", label="Name contains")
    kind = django_filters.ChoiceFilter(choices=AssetKind.choices)
    type = django_filters.ChoiceFilter(choices=AssetType.choices)
    platform = django_filters.CharFilter()
    tag = django_filters.CharFilter(method="filter_tag", label="Tag (harvested or curated)")
    owner = django_filters.CharFilter(method="filter_owner", label="Owner")
    source = django_filters.CharFilter(field_name="provenance__source__name")
    removed = django_filters.BooleanFilter()

    class Meta:
        model = Asset
        fields = ["q", "kind", "type", "platform", "tag", "owner", "source", "removed"]

    def filter_q(self, queryset, name, value):
        """Case-insensitive substring match on name or qualified name."""
        return queryset.filter(Q(name__icontains=value) | Q(qualified_name__icontains=value))

    def filter_owner(self, queryset, name, value):
        """Assets the owner ``value`` owns (an owner hidden by curation does not)."""
        return queryset.filter(ownerships__owner__name=value, ownerships__hidden=False)

    def filter_tag(self, queryset, name, value):
        """Assets with the tag, harvested or curated."""
        return queryset.filter(Q(tags__name=value) | Q(curated_tags__name=value))

    def filter_queryset(self, queryset):
        """Apply the filters; hide removed assets unless ``removed`` is given."""
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("removed") is None:
            queryset = queryset.filter(removed=False)
        if any(self.form.cleaned_data.get(k) for k in ("tag", "owner", "source")):
            queryset = queryset.distinct()
        return queryset
