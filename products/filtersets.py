"""The one FilterSet for data products, shared by the product list page and the API."""

import django_filters
from django.db.models import Q

from products.models import DataProduct, ProductStatus

#: filters upper apps add to the product list and API (``?<name>=<value>``):
#: ``{name: fn(queryset, value) -> queryset}`` (e.g. governance's ``failing``)
_EXTRA_FILTERS: dict = {}
#: the list page's control of such a filter: ``{name: (label, empty label, choices())}``
_EXTRA_CONTROLS: dict = {}


def register_product_filter(name: str, fn, *, label: str = "", empty: str = "", choices=None):
    """Let ``?<name>=<value>`` filter products with ``fn(queryset, value)`` (upper apps
    call it from ``AppConfig.ready``; the products app never imports them).

    With ``choices`` (a callable returning ``[(value, label)]``, called per request) the
    product list page shows a select box labelled ``label`` whose first, empty option
    reads ``empty``; it submits with the other filters (a plain GET form, no
    JavaScript)."""
    _EXTRA_FILTERS[name] = fn
    if choices is not None:
        _EXTRA_CONTROLS[name] = (label or name.capitalize(), empty or "Any", choices)


def extra_controls() -> dict:
    """``{name: (label, empty label, choices callable)}`` of the registered filters
    that have a control on the list page."""
    return dict(_EXTRA_CONTROLS)


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
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:  # a page may add controls of the extra filters
                queryset = self.filters[name].filter(queryset, value)
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
