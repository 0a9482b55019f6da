"""Governance API: curation (``PATCH /api/v1/assets/<urn>``, history), the glossary.

Reads follow ``MESH_PUBLIC_READ``; curation needs an owner, steward or admin of the
asset; glossary writes need a steward or admin. Bad input is a 400 naming the item
(``{"fields.Email.terms": ["unknown term 'X'"]}``)."""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.params import choice_param
from catalog.api.views import AssetDetailView
from catalog.models import Asset
from governance import curation, glossary
from governance.api.serializers import (
    CurationChangeSerializer,
    PolicySerializer,
    TermGroupSerializer,
    TermSerializer,
)
from governance.errors import Forbidden, GovernanceError
from governance.filtersets import CurationChangeFilterSet, TermFilterSet
from governance.models import CurationChange, GlossaryTerm, TermGroup, TermLink
from governance.permissions import is_steward
from identity.permissions import ReadPolicyPermission


def bad_request(exc: GovernanceError) -> ValidationError:
    """The 400 of a governance error: ``{item: [reasons]}``."""
    return ValidationError(exc.errors)


class AssetCurationView(AssetDetailView):
    """``GET`` one asset (as the catalog's detail); ``PATCH`` its curated values.

    PATCH body (every key optional): ``{"description": "Markdown" | null, "tags": [..],
    "owners": [{"name", "type": technical_owner|business_owner|data_steward|none,
    "kind": user|team}], "terms": [term names], "fields": {"<column>": {"description",
    "tags", "terms", "classes"}}}``. ``null`` removes a curated description (the
    harvested one shows again); lists replace the curated set. Answers the asset as
    GET does. 400 names an unknown key, column, term or class; 403 for users who are
    not an owner, steward or admin of the asset; 401 anonymous."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(request=OpenApiTypes.OBJECT)
    def patch(self, request, *args, **kwargs):
        """Curate the asset (see the class docstring)."""
        asset = get_object_or_404(Asset, urn=self.kwargs["urn"])
        try:
            curation.curate(asset, request.user, request.data)
        except Forbidden as exc:
            raise PermissionDenied(str(exc)) from None
        except GovernanceError as exc:
            raise bad_request(exc) from None
        return self.get(request, *args, **kwargs)


class AssetHistoryView(generics.ListAPIView):
    """``GET /api/v1/assets/<urn>/history``: curation changes, newest first (paginated;
    ``?field=``, ``?attribute=``, ``?author=``); 404 for an unknown asset."""

    serializer_class = CurationChangeSerializer
    permission_classes = [ReadPolicyPermission]
    filterset_class = CurationChangeFilterSet

    queryset = CurationChange.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CurationChange.objects.none()
        asset = get_object_or_404(Asset, urn=self.kwargs["urn"])
        return asset.curation_changes.all()


class StewardWrites(ReadPolicyPermission):
    """Reads per the read policy; writes by stewards and admins (403 otherwise)."""

    message = "Only stewards and admins may change the glossary."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or is_steward(request.user)


_terms = GlossaryTerm.objects.select_related("group").prefetch_related(
    "related",
    Prefetch("links", queryset=TermLink.objects.select_related("asset", "propagated_from__asset")),
)


class TermList(generics.ListCreateAPIView):
    """``GET /api/v1/glossary/terms`` (``?q=`` name or synonym, ``?status=``, ``?group=``
    slug); ``POST`` creates a term from ``{"name", "definition", "synonyms", "owners",
    "status", "group", "related"}`` (stewards, admins). 400 names a bad item."""

    serializer_class = TermSerializer
    permission_classes = [StewardWrites]

    filterset_class = TermFilterSet

    def get_queryset(self):
        return _terms.all()

    @extend_schema(request=OpenApiTypes.OBJECT)
    def post(self, request, *args, **kwargs):
        """Create a term (201 with it)."""
        try:
            term = glossary.save_term(request.data if isinstance(request.data, dict) else {})
        except GovernanceError as exc:
            raise bad_request(exc) from None
        return Response(TermSerializer(_terms.get(pk=term.pk)).data, status=201)


class TermDetail(APIView):
    """``GET``/``PATCH``/``DELETE /api/v1/glossary/terms/<slug>``; writes by stewards."""

    permission_classes = [StewardWrites]

    @extend_schema(responses=TermSerializer)
    def get(self, request, slug: str):
        """The term, with its links."""
        return Response(TermSerializer(get_object_or_404(_terms, slug=slug)).data)

    @extend_schema(request=OpenApiTypes.OBJECT, responses=TermSerializer)
    def patch(self, request, slug: str):
        """Change the given keys of the term."""
        term = get_object_or_404(GlossaryTerm, slug=slug)
        try:
            glossary.save_term(request.data if isinstance(request.data, dict) else {}, term)
        except GovernanceError as exc:
            raise bad_request(exc) from None
        return Response(TermSerializer(_terms.get(pk=term.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str):
        """Delete the term and its links (204)."""
        glossary.delete_term(get_object_or_404(GlossaryTerm, slug=slug))
        return Response(status=204)


class GroupList(generics.ListAPIView):
    """``GET /api/v1/glossary/groups``: the hierarchy of term groups."""

    serializer_class = TermGroupSerializer
    permission_classes = [ReadPolicyPermission]
    queryset = TermGroup.objects.select_related("parent")


class GlossaryExport(APIView):
    """``GET /api/v1/glossary/export?as=yaml|csv``: every term (YAML by default; the
    parameter is not ``format``, which DRF keeps for content negotiation)."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["yaml", "csv"])],
        responses={
            # the YAML document: {"terms": [term, ...]} (clients parse it as data)
            (200, "application/yaml"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request):
        """The export document: ``application/yaml`` (``as=yaml``, the default) or
        ``text/csv`` (``as=csv``); 400 when ``as`` is repeated, empty or another value."""
        fmt = choice_param(request.query_params, "as", ("yaml", "csv"), "yaml")
        rows = glossary.export_terms()
        if fmt == "csv":
            return HttpResponse(glossary.to_csv(rows), content_type="text/csv; charset=utf-8")
        if fmt == "yaml":
            return HttpResponse(
                glossary.to_yaml(rows), content_type="application/yaml; charset=utf-8"
            )
        raise ValidationError({"as": [f"unknown format {fmt!r} (yaml or csv)"]})


class GlossaryImport(APIView):
    """``POST /api/v1/glossary/import`` with ``{"format": "yaml"|"csv", "content": "..."}``:
    create or update terms by name, all or nothing (stewards, admins). Answers
    ``{"created": n, "updated": n}``; 400 names the bad row and item."""

    permission_classes = [StewardWrites]

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        """Import the document."""
        data = request.data if isinstance(request.data, dict) else {}
        content = data.get("content")
        if not isinstance(content, str):
            raise ValidationError({"content": ["the CSV or YAML text is required"]})
        try:
            rows = glossary.parse(content, str(data.get("format", "yaml")))
            return Response(glossary.import_terms(rows))
        except GovernanceError as exc:
            raise bad_request(exc) from None


def _class_row(c) -> dict:
    return {
        "id": c.pk,
        "field": c.field_name,
        "class": c.data_class.slug,
        "level": c.data_class.level,
        "personal": c.data_class.personal,
        "status": c.status,
        "confidence": c.confidence,
        "method": c.method,
        "evidence": c.evidence,
        "provenance": c.provenance,
    }


class AssetClassificationView(APIView):
    """``GET /api/v1/assets/<urn>/classification``: ``{"level": str, "columns": [{id,
    field, class, level, personal, status (proposed|accepted|rejected), confidence,
    method (name|values|manual|propagated), evidence, provenance}]}``; 404 unknown."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, urn: str):
        """The asset's classification."""
        from governance.classification import asset_classes, effective_level

        asset = get_object_or_404(Asset, urn=urn)
        classes = asset_classes(asset)
        return Response(
            {"level": effective_level(asset, classes), "columns": [_class_row(c) for c in classes]}
        )


class DecisionView(APIView):
    """``POST /api/v1/classifications/<id>`` with ``{"decision": "accept"|"reject"}``:
    decide a proposed class (owners, stewards, admins of the asset: 403 otherwise; a
    propagated class is a 400 naming its origin). Answers the row."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        """Accept or reject."""
        from governance.classification import decide
        from governance.models import ColumnClass

        row = get_object_or_404(ColumnClass.objects.select_related("asset", "data_class"), pk=pk)
        decision = request.data.get("decision") if isinstance(request.data, dict) else None
        if decision not in ("accept", "reject"):
            raise ValidationError({"decision": ["accept or reject"]})
        try:
            decide(row, request.user, decision == "accept")
        except Forbidden as exc:
            raise PermissionDenied(str(exc)) from None
        except GovernanceError as exc:
            raise bad_request(exc) from None
        return Response(_class_row(row))


class DataClassList(APIView):
    """``GET /api/v1/classification/classes``: the scheme's levels and the data classes
    ``{"levels": [...], "classes": [{slug, name, personal, level}]}``."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """Levels and classes."""
        from governance.classification import data_classes
        from governance.models import Sensitivity

        classes = sorted(data_classes().values(), key=lambda c: c.slug)
        return Response(
            {
                "levels": Sensitivity.values,
                "classes": [
                    {"slug": c.slug, "name": c.name, "personal": c.personal, "level": c.level}
                    for c in classes
                ],
            }
        )


class PolicyList(APIView):
    """``GET /api/v1/policies``: ``[{name, label, description}]`` of the configured checks."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(responses=PolicySerializer(many=True))
    def get(self, request):
        """The policies, in order."""
        from governance.policies import policies

        return Response(
            [{"name": p.name, "label": p.label, "description": p.description} for p in policies()]
        )


class ScorecardList(APIView):
    """``GET /api/v1/scorecards``: ``{"products": [scorecard], "domains": [domain
    scorecard]}`` (see :mod:`governance.scorecards`)."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """Every product's and root domain's scorecard."""
        from governance.scorecards import all_scorecards, domain_scorecard
        from products.models import Domain

        cards = all_scorecards()
        return Response(
            {
                "products": cards,
                "domains": [domain_scorecard(d, cards) for d in Domain.objects.filter(parent=None)],
            }
        )


class ProductScorecardView(APIView):
    """``GET /api/v1/scorecards/products/<uid>``: ``{product, name, domain, score,
    results: [{policy, label, passed (true|false|null: n/a), detail, fix}], trend:
    [{day, score}]}``; 404 unknown."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, uid: str):
        """The product's scorecard and trend."""
        from governance.scorecards import _products, product_scorecard, trend

        product = get_object_or_404(_products(), uid=uid)
        return Response({**product_scorecard(product), "trend": trend("product", uid)})


class DomainScorecardView(APIView):
    """``GET /api/v1/scorecards/domains/<slug>``: ``{domain, name, score, products,
    failing: {policy: n}, trend}``; 404 unknown."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug: str):
        """The domain's scorecard and trend."""
        from governance.scorecards import domain_scorecard, trend
        from products.models import Domain

        domain = get_object_or_404(Domain, slug=slug)
        return Response({**domain_scorecard(domain), "trend": trend("domain", slug)})
