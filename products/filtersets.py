"""The one FilterSet for data products, shared by the product list page and the API."""

import django_filters
from django.db.models import Q

from products.models import DataProduct, ProductStatus

#: filters upper apps add to the product list and API (``?<name>=<value>``):
#: ``{name: fn(queryset, value) -> queryset}`` (e.g. governance's ``failing``)
_EXTRA_FILTERS: dict = {}


def register_product_filter(name: str, fn) -> None:
    """Let ``?<name>=<value>`` filter products with ``fn(queryset, value)`` (upper apps
    call it from ``AppConfig.ready``; the products app never imports them)."""
    _EXTRA_FILTERS[name] = fn


class ProductFilterSet(django_filters.FilterSet):
    """Filters: ``q`` (name/purpose contains), ``domain`` (slug; includes direct
    sub-domains), ``status`` (lifecycle), ``owner`` (owner team slug or a member's
    username), ``tag`` (exact tag)."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    domain = django_filters.CharFilter(method="filter_domain", label="Domain")
    status = django_filters.ChoiceFilter(choices=ProductStatus.choices)
    owner = django_filters.CharFilter(method="filter_owner", label="Owner")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")

    class Meta:
        model = DataProduct
        fields = ["q", "domain", "status", "owner", "tag"]

    def filter_queryset(self, queryset):
        """The declared filters, then those registered by upper apps."""
        queryset = super().filter_queryset(queryset)
        for name, fn in _EXTRA_FILTERS.items():
            value = (self.data or {}).get(name)
            if value:
                queryset = fn(queryset, str(value))
        return queryset

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(purpose__icontains=value))

    def filter_domain(self, queryset, name, value):
        return queryset.filter(Q(domain__slug=value) | Q(domain__parent__slug=value))

    def filter_owner(self, queryset, name, value):
        return queryset.filter(Q(owner_team__slug=value) | Q(members__username=value)).distinct()

    def filter_tag(self, queryset, name, value):
        # tags is a JSON list; match the quoted element in its text form (SQLite and PG)
        return queryset.filter(tags__icontains=f'"{value}"')
