"""Meta-test: every model of our apps has an API endpoint and a FilterSet, or is listed
in :data:`NOT_YET` with the reason (so the list can only shrink: a model that gains
coverage must leave it, a new model must come with coverage or a stated reason).

API coverage: a view under ``/api/v1/`` whose serializer (or queryset) is of the model.
Filter coverage: a ``django_filters.FilterSet`` of the model in ``<app>.filtersets``.
"""

import importlib

import django_filters
import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

APPS = (
    "catalog", "lineage", "harvesters", "products", "audit", "access", "usage", "governance",
    "notifications",
)  # fmt: skip

#: ``{"app.Model": (needs API, needs filters, why not yet)}``: the coverage still missing
#: when the apps were layered (issue 8); each entry names what it lacks today.
NOT_YET: dict[str, tuple[bool, bool, str]] = {
    "catalog.AssetSource": (False, False, "provenance: shown in the asset API's sources"),
    "catalog.Field": (False, False, "columns: nested in GET /api/v1/assets/<urn>"),
    "catalog.Owner": (False, False, "owners: nested in the asset API; owner facet in search"),
    "catalog.Ownership": (False, False, "nested in the asset API"),
    "catalog.Tag": (False, False, "tags: nested in the asset API; tag facet in search"),
    "catalog.QualityResult": (False, False, "quality results: no endpoint yet"),
    "catalog.OutboxEvent": (False, False, "internal queue of the projections"),
    "catalog.ProjectionCursor": (False, False, "internal state of the projections"),
    "lineage.LineageEdge": (False, False, "edges: served as graphs by /api/v1/lineage"),
    "lineage.FieldLineageEdge": (False, False, "served as graphs by /api/v1/column-lineage"),
    "harvesters.OpenLineageIntake": (False, False, "internal queue of POST /api/v1/lineage"),
    "lineage.OpenLineageEvent": (False, False, "raw events: stored for audit, no endpoint yet"),
    "lineage.SchemaVersion": (False, False, "served by /api/v1/schema-versions and schema-diff"),
    "products.DataContract": (True, False, "contracts API filters status and q by hand"),
    "products.Domain": (True, False, "domains API has no filters yet"),
    "products.EditRecord": (False, False, "history: shown on the pages, no endpoint yet"),
    "products.InputPort": (False, False, "nested in the products API"),
    "products.OutputPort": (False, False, "nested in the products API"),
    "products.ProductMember": (False, False, "nested in the products API"),
    "products.SLISample": (True, False, "samples API has no filters yet"),
    "products.SLO": (True, False, "SLOs API has no filters yet"),
    "products.Team": (False, False, "teams: pages and admin only, no endpoint yet"),
    "products.TeamMembership": (False, False, "team members: pages and admin only"),
    "audit.AuditHead": (False, False, "internal: the newest entry of the hash chain"),
    "access.AccessApproval": (False, False, "shown on the request page and in the audit trail"),
    "access.AccessComment": (False, False, "POST .../comment; shown on the request page"),
    "access.PortAccessPolicy": (False, False, "admin only for now"),
    "usage.UsageDay": (False, False, "aggregated by /api/v1/assets/<urn>/usage and usage/top"),
    "usage.ColumnUsageDay": (False, False, "aggregated in /api/v1/assets/<urn>/usage"),
    "usage.UserUsageDay": (False, False, "aggregated in /api/v1/assets/<urn>/usage"),
    "usage.CoUsageDay": (False, False, "aggregated in /api/v1/assets/<urn>/usage"),
    "usage.QueryUsageDay": (False, False, "aggregated in /api/v1/assets/<urn>/usage"),
    "usage.QueryShape": (False, False, "top queries in /api/v1/assets/<urn>/usage; admin"),
    "usage.Popularity": (False, False, "in /api/v1/usage/top and the search index"),
    "usage.AssetView": (False, False, "page views: aggregated in /api/v1/assets/<urn>/usage"),
    "usage.UsagePreference": (False, False, "the viewer's own opt-out: /usage/preferences"),
    "notifications.Subscription": (True, False, "the caller's own subscriptions, unfiltered"),
    "notifications.Delivery": (True, False, "inbox (?unread) and webhook delivery log"),
    "notifications.Webhook": (True, False, "the caller's own webhooks, unfiltered"),
    "notifications.Event": (False, False, "served as inbox rows by /api/v1/notifications"),
    "notifications.Preference": (False, False, "e-mail mode: My subscriptions page"),
    "notifications.IncidentEntry": (False, False, "timeline nested in /api/v1/incidents/<id>"),
    "governance.TermGroup": (True, False, "glossary groups: a short list, no filters needed yet"),
    "governance.TermLink": (False, False, "links: in the term API and written by curation"),
    "governance.DataClass": (False, False, "GET /api/v1/classification/classes (a plain view)"),
    "governance.ColumnClass": (False, False, "GET /api/v1/assets/<urn>/classification; decisions"),
    "governance.AssetSensitivity": (False, False, "set through PATCH /api/v1/assets/<urn>"),
    "governance.SourceSampling": (False, False, "sampling opt-in: admin and manage.py classify"),
    "governance.ScoreSnapshot": (False, False, "trend in /api/v1/scorecards/..."),
}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def api_models() -> set[str]:
    """Labels (``app.Model``) of the models served by a view under ``api/v1/``."""
    found = set()
    for route, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if not route.startswith("api/v1/") or view is None:
            continue
        serializer = getattr(view, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        queryset = getattr(view, "queryset", None)
        for m in (model, getattr(queryset, "model", None)):
            if m is not None:
                found.add(m._meta.label)
    return found


def filter_models() -> set[str]:
    """Labels of the models with a FilterSet in one of our apps' ``filtersets`` modules
    or used by an API view (``filterset_class``)."""
    found = set()
    for route, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        filterset = getattr(view, "filterset_class", None) if route.startswith("api/v1/") else None
        if filterset is not None and filterset._meta.model is not None:
            found.add(filterset._meta.model._meta.label)
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.filtersets")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, django_filters.FilterSet):
                model = getattr(value._meta, "model", None)
                if model is not None:
                    found.add(model._meta.label)
    return found


def our_models() -> list[str]:
    return sorted(m._meta.label for app in APPS for m in apps.get_app_config(app).get_models())


@pytest.mark.parametrize("label", our_models())
def test_every_model_has_api_and_filter_coverage(label):
    has_api, has_filters = label in api_models(), label in filter_models()
    needs_api, needs_filters, why = NOT_YET.get(label, (True, True, ""))
    missing = [
        what
        for what, has, needed in (
            ("API", has_api, needs_api),
            ("filters", has_filters, needs_filters),
        )
        if not has and needed
    ]
    assert not missing, (
        f"{label} has no {' and no '.join(missing)} (or add it to NOT_YET, saying why)"
    )
    if label in NOT_YET:
        stale = [
            w
            for w, has, needed in (
                ("API", has_api, needs_api),
                ("filters", has_filters, needs_filters),
            )
            if has and not needed
        ]
        assert not stale, f"{label} now has {', '.join(stale)}: update NOT_YET"
