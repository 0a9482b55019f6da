"""Products API: domains, products, ODPS descriptors, SLOs and their samples.

All endpoints need a signed-in user; writes need membership of the owning team (or
admin), enforced by :class:`products.permissions.IsOwnerOrReadOnly`. Every write is
recorded in the product's (or domain's) history. Errors are JSON ``{"detail": ...,
"problems": [...]}`` for descriptors, ``{field: [message]}`` for validation.
"""

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from products.api.bodies import yaml_body
from products.api.serializers import (
    DomainSerializer,
    ProductSerializer,
    SampleSerializer,
    SLOSerializer,
)
from products.filtersets import ProductFilterSet
from products.models import SLO, DataProduct, Domain, SLISample
from products.odps import apply_descriptor, dump_yaml, export_descriptor, parse_descriptor
from products.permissions import (
    IsOwnerOrReadOnly,
    can_create_domain,
    can_edit,
    in_team,
    is_admin,
    may_move_domain,
)
from products.schemas import DescriptorError
from products.services import DomainEdit, ProductEdit


class DomainList(generics.ListCreateAPIView):
    """``GET`` domains (paginated); ``POST`` creates one, as in the UI: staff anywhere;
    other users only sub-domains of a domain their team owns, owned by a team of theirs
    (403 otherwise). Recorded in the domain's history."""

    queryset = Domain.objects.select_related("parent", "owner_team").prefetch_related(
        Prefetch("products", queryset=DataProduct.objects.only("uid", "name", "domain_id"))
    )
    serializer_class = DomainSerializer
    permission_classes = [IsOwnerOrReadOnly]

    def perform_create(self, serializer):
        team = serializer.validated_data.get("owner_team")
        if not is_admin(self.request.user) and not in_team(self.request.user, team):
            raise PermissionDenied("you may only create domains owned by a team you belong to")
        parent = serializer.validated_data.get("parent")
        if not is_admin(self.request.user) and not (
            parent is not None and can_create_domain(self.request.user, parent)
        ):
            raise PermissionDenied(
                "only staff create top-level domains; others create sub-domains of a "
                "domain their team owns"
            )
        with DomainEdit(None, self.request.user, "create") as change:
            change.obj = serializer.save()


class DomainDetail(generics.RetrieveUpdateAPIView):
    """One domain by slug; updates need owner-team membership and are recorded in the
    domain's history (action ``update``, ``{field: [old, new]}``). ``parent`` may not be
    the domain itself or a sub-domain (400 naming ``parent``)."""

    queryset = Domain.objects.all()
    serializer_class = DomainSerializer
    permission_classes = [IsOwnerOrReadOnly]
    lookup_field = "slug"

    def perform_update(self, serializer):
        change = DomainEdit(serializer.instance, self.request.user, "update")
        team = serializer.validated_data.get("owner_team", serializer.instance.owner_team)
        if team != serializer.instance.owner_team and not (
            is_admin(self.request.user) or in_team(self.request.user, team)
        ):
            raise PermissionDenied("you may only hand a domain to a team you belong to")
        parent = serializer.validated_data.get("parent", serializer.instance.parent)
        if not may_move_domain(self.request.user, serializer.instance.parent_id, parent):
            raise ValidationError(
                {"parent": ["you may only move a domain under a domain your team owns"]}
            )
        with change:
            serializer.save()


class ProductList(generics.ListCreateAPIView):
    """``GET`` products filtered by ``q``, ``domain``, ``status``, ``owner``, ``tag``;
    ``POST`` creates one owned by a team the caller belongs to (403 otherwise)."""

    queryset = DataProduct.objects.select_related("domain", "owner_team").prefetch_related(
        "input_ports__upstream_product", "output_ports"
    )
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    permission_classes = [IsOwnerOrReadOnly]

    def perform_create(self, serializer):
        team = serializer.validated_data.get("owner_team")
        if not is_admin(self.request.user) and not in_team(self.request.user, team):
            raise PermissionDenied("you may only create products owned by a team you belong to")
        with ProductEdit(None, self.request.user, "create") as change:
            change.obj = serializer.save()


class ProductDetail(generics.RetrieveUpdateDestroyAPIView):
    """One product by its ODPS id (``uid``); ``PATCH``/``PUT`` edit, ``DELETE`` removes."""

    queryset = ProductList.queryset
    serializer_class = ProductSerializer
    permission_classes = [IsOwnerOrReadOnly]
    lookup_field = "uid"

    def perform_update(self, serializer):
        change = ProductEdit(serializer.instance, self.request.user, "update")
        team = serializer.validated_data.get("owner_team", serializer.instance.owner_team)
        if team != serializer.instance.owner_team and not (
            is_admin(self.request.user) or in_team(self.request.user, team)
        ):
            raise PermissionDenied("you may only hand a product to a team you belong to")
        with change:
            serializer.save()


class YAMLParser(BaseParser):
    """Accepts ``application/yaml`` (and text) bodies as raw text for descriptor PUTs."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read().decode("utf-8", errors="replace")


_DESCRIPTOR_PROBLEMS = inline_serializer(
    "DescriptorProblems",
    {
        "detail": serializers.CharField(),
        "problems": serializers.ListField(child=serializers.CharField()),
    },
)


class ProductDescriptor(APIView):
    """``GET``: the product as ODPS v1.0.0 YAML (``application/yaml``). ``PUT``: replace
    the product from an ODPS YAML body; the body's ``id`` must equal the URL's. 400 with
    ``problems`` (``path: rule: message``) when invalid; 403 for non-owners."""

    permission_classes = [IsOwnerOrReadOnly]
    parser_classes = [YAMLParser]

    @extend_schema(
        summary="The product as an ODPS v1.0.0 descriptor",
        responses={(200, "application/yaml"): OpenApiTypes.OBJECT},
    )
    def get(self, request, uid):
        product = get_object_or_404(DataProduct, uid=uid)
        self.check_object_permissions(request, product)
        response = HttpResponse(
            dump_yaml(export_descriptor(product)), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{uid}.odps.yaml"'
        return response

    @extend_schema(
        summary="Replace the product from an ODPS v1.0.0 YAML body",
        request={"application/yaml": OpenApiTypes.STR},
        responses={
            200: inline_serializer(
                "DescriptorOutcome",
                {"outcome": serializers.CharField(), "uid": serializers.CharField()},
            ),
            400: _DESCRIPTOR_PROBLEMS,
        },
    )
    def put(self, request, uid):
        product = get_object_or_404(DataProduct, uid=uid)
        self.check_object_permissions(request, product)
        try:
            doc = parse_descriptor(
                yaml_body(request, f"{uid}.odps.yaml", "ODPS descriptor"), f"{uid}.odps.yaml"
            )
        except DescriptorError as exc:
            return Response(
                {"detail": "invalid ODPS descriptor", "problems": exc.problems},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if str(doc["id"]) != uid:
            return Response(
                {
                    "detail": "invalid ODPS descriptor",
                    "problems": [f"id: match: {doc['id']!r} is not this product ({uid!r})"],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        with transaction.atomic():
            try:
                product, outcome = apply_descriptor(
                    doc, user=request.user, action="descriptor upload"
                )
            except DescriptorError as exc:
                return Response(
                    {"detail": "invalid ODPS descriptor", "problems": exc.problems},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if not can_edit(request.user, product):
                transaction.set_rollback(True)
                raise PermissionDenied("the descriptor hands the product to a team you are not in")
        return Response({"outcome": outcome, "uid": product.uid})


class ProductSLOs(generics.ListCreateAPIView):
    """``GET`` the product's SLOs with computed status; ``POST`` adds one to one of its
    output ports (``port`` = port id; another product's port is a 400 naming ``port``)."""

    serializer_class = SLOSerializer
    permission_classes = [IsOwnerOrReadOnly]
    pagination_class = None

    def product(self) -> DataProduct:
        return get_object_or_404(DataProduct, uid=self.kwargs["uid"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return SLO.objects.none()
        return SLO.objects.filter(port__product__uid=self.kwargs["uid"]).select_related("port")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self.request, "method", None) == "POST" and "uid" in self.kwargs:
            # create() has already answered 404 for an unknown product
            context["product"] = DataProduct.objects.filter(uid=self.kwargs["uid"]).first()
        return context

    def create(self, request, *args, **kwargs):
        if not can_edit(request.user, self.product()):  # 403 before judging the body
            raise PermissionDenied(IsOwnerOrReadOnly.message)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        with ProductEdit(serializer.context["product"], self.request.user, "add slo"):
            serializer.save()


class SLOSamples(generics.ListAPIView):
    """Samples of one SLO, newest first (paginated)."""

    serializer_class = SampleSerializer
    permission_classes = [IsOwnerOrReadOnly]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return SLISample.objects.none()
        slo = get_object_or_404(SLO, pk=self.kwargs["pk"])
        return slo.samples.all()
