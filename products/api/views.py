"""Products API: domains, products, ODPS descriptors, SLOs and their samples.

All endpoints need a signed-in user; writes need membership of the owning team (or
admin), enforced by :class:`products.permissions.IsOwnerOrReadOnly`. Every write is
recorded in the product's history. Errors are JSON ``{"detail": ..., "problems": [...]}``.
"""

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from products.api.serializers import (
    DomainSerializer,
    ProductSerializer,
    SampleSerializer,
    SLOSerializer,
)
from products.filtersets import ProductFilterSet
from products.history import record_edit, snapshot_product
from products.models import SLO, DataProduct, Domain
from products.odps import apply_descriptor, dump_yaml, export_descriptor, parse_descriptor
from products.permissions import IsOwnerOrReadOnly, can_edit, in_team, is_admin
from products.schemas import DescriptorError


class DomainList(generics.ListCreateAPIView):
    """``GET`` domains (paginated); ``POST`` creates one (any signed-in user; they should
    name a team they belong to as owner)."""

    queryset = Domain.objects.select_related("parent", "owner_team")
    serializer_class = DomainSerializer
    permission_classes = [IsOwnerOrReadOnly]

    def perform_create(self, serializer):
        team = serializer.validated_data.get("owner_team")
        if not is_admin(self.request.user) and not in_team(self.request.user, team):
            raise PermissionDenied("you may only create domains owned by a team you belong to")
        serializer.save()


class DomainDetail(generics.RetrieveUpdateAPIView):
    """One domain by slug; updates need owner-team membership."""

    queryset = Domain.objects.all()
    serializer_class = DomainSerializer
    permission_classes = [IsOwnerOrReadOnly]
    lookup_field = "slug"


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
        product = serializer.save()
        record_edit(product, self.request.user, "create", {}, snapshot_product(product))


class ProductDetail(generics.RetrieveUpdateDestroyAPIView):
    """One product by its ODPS id (``uid``); ``PATCH``/``PUT`` edit, ``DELETE`` removes."""

    queryset = ProductList.queryset
    serializer_class = ProductSerializer
    permission_classes = [IsOwnerOrReadOnly]
    lookup_field = "uid"

    def perform_update(self, serializer):
        before = snapshot_product(serializer.instance)
        team = serializer.validated_data.get("owner_team", serializer.instance.owner_team)
        if team != serializer.instance.owner_team and not (
            is_admin(self.request.user) or in_team(self.request.user, team)
        ):
            raise PermissionDenied("you may only hand a product to a team you belong to")
        product = serializer.save()
        record_edit(product, self.request.user, "update", before, snapshot_product(product))


class YAMLParser(BaseParser):
    """Accepts ``application/yaml`` (and text) bodies as raw text for descriptor PUTs."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read().decode("utf-8", errors="replace")


class ProductDescriptor(APIView):
    """``GET``: the product as ODPS v1.0.0 YAML (``application/yaml``). ``PUT``: replace
    the product from an ODPS YAML body; the body's ``id`` must equal the URL's. 400 with
    ``problems`` (``path: rule: message``) when invalid; 403 for non-owners."""

    permission_classes = [IsOwnerOrReadOnly]
    parser_classes = [YAMLParser]

    def get(self, request, uid):
        product = get_object_or_404(DataProduct, uid=uid)
        self.check_object_permissions(request, product)
        response = HttpResponse(
            dump_yaml(export_descriptor(product)), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{uid}.odps.yaml"'
        return response

    def put(self, request, uid):
        product = get_object_or_404(DataProduct, uid=uid)
        self.check_object_permissions(request, product)
        try:
            doc = parse_descriptor(request.data, f"{uid}.odps.yaml")
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
            product, outcome = apply_descriptor(doc, user=request.user, action="descriptor upload")
            if not can_edit(request.user, product):
                transaction.set_rollback(True)
                raise PermissionDenied("the descriptor hands the product to a team you are not in")
        return Response({"outcome": outcome, "uid": product.uid})


class ProductSLOs(generics.ListCreateAPIView):
    """``GET`` the product's SLOs with computed status; ``POST`` adds one to one of its
    output ports (``port`` = port id)."""

    serializer_class = SLOSerializer
    permission_classes = [IsOwnerOrReadOnly]
    pagination_class = None

    def product(self) -> DataProduct:
        return get_object_or_404(DataProduct, uid=self.kwargs["uid"])

    def get_queryset(self):
        return SLO.objects.filter(port__product__uid=self.kwargs["uid"]).select_related("port")

    def perform_create(self, serializer):
        product = self.product()
        if not can_edit(self.request.user, product):
            raise PermissionDenied(IsOwnerOrReadOnly.message)
        if serializer.validated_data["port"].product_id != product.pk:
            raise PermissionDenied("that port belongs to another product")
        before = snapshot_product(product)
        serializer.save()
        record_edit(product, self.request.user, "add slo", before, snapshot_product(product))


class SLOSamples(generics.ListAPIView):
    """Samples of one SLO, newest first (paginated)."""

    serializer_class = SampleSerializer
    permission_classes = [IsOwnerOrReadOnly]

    def get_queryset(self):
        slo = get_object_or_404(SLO, pk=self.kwargs["pk"])
        return slo.samples.all()
