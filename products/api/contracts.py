"""Contracts API: ODCS data contracts on their own, beside the products that use them.

Standard: Open Data Contract Standard v3.1.0
(https://github.com/bitol-io/open-data-contract-standard), validated with the schema of the
``open-data-contract-standard`` package (see :mod:`products.odcs`).

* ``GET /api/v1/contracts`` (``?status=``, ``?q=`` on id or name): paginated
  ``{count, next, previous, results: [contract]}``;
* ``GET /api/v1/contracts/<uid>``: one contract as JSON, with the ports bound to it and
  each port's drift against its harvested asset;
* ``GET /api/v1/contracts/<uid>/document``: the contract as ODCS YAML, exactly as stored;
* ``PUT /api/v1/contracts/<uid>/document``: create or replace it from an ODCS YAML body.

Reading needs a signed-in user. Replacing a contract re-seeds the contract SLOs of every
output port bound to it, so the caller must be allowed to edit every product owning such
a port (or be an admin); a contract no port names yet may be stored by any signed-in user.
Errors are JSON ``{"detail": ..., "problems": ["path: rule: message", ...]}``.
"""

import hashlib
import json

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from products.api.bodies import yaml_body
from products.api.views import YAMLParser
from products.drift import contract_drift
from products.models import DataContract, DataProduct, OutputPort
from products.odcs import apply_contract, parse_contract
from products.odps import dump_yaml
from products.permissions import IsOwnerOrReadOnly, can_edit
from products.schemas import DescriptorError
from products.services import ProductEdit

#: contracts with their ports, products, assets and asset columns (drift) in 4 queries
CONTRACTS = DataContract.objects.prefetch_related(
    Prefetch(
        "ports",
        queryset=OutputPort.objects.select_related("product", "asset", "data_contract")
        .prefetch_related("asset__fields")
        .order_by("id"),
    )
)


class ContractSerializer(serializers.ModelSerializer):
    """``{uid, name, version, api_version, status, updated_at (ISO 8601), ports}``;
    ``ports`` is ``[{id, product (uid), port (name), asset_urn, drift}]`` where ``drift`` is
    :func:`products.drift.contract_drift` (null without a harvested asset)."""

    ports = serializers.SerializerMethodField()

    class Meta:
        model = DataContract
        fields = ["uid", "name", "version", "api_version", "status", "updated_at", "ports"]

    def get_ports(self, obj) -> list[dict]:
        return [
            {
                "id": port.id,
                "product": port.product.uid,
                "port": port.name,
                "asset_urn": port.asset_urn,
                "drift": contract_drift(port),
            }
            for port in obj.ports.all()  # prefetched by the views (CONTRACTS)
        ]


class ContractList(generics.ListAPIView):
    """``GET`` contracts, newest change first; ``status`` filters exactly, ``q`` matches id
    or name (case-insensitive substring)."""

    serializer_class = ContractSerializer
    permission_classes = [IsOwnerOrReadOnly]

    def get_queryset(self):
        contracts = CONTRACTS.order_by("-updated_at", "uid")
        params = self.request.query_params
        if params.get("status"):
            contracts = contracts.filter(status=params["status"])
        if params.get("q"):
            contracts = contracts.filter(
                Q(uid__icontains=params["q"]) | Q(name__icontains=params["q"])
            )
        return contracts


class ContractDetail(generics.RetrieveAPIView):
    """``GET`` one contract by its ODCS ``id`` (404 JSON when unknown)."""

    queryset = CONTRACTS
    serializer_class = ContractSerializer
    permission_classes = [IsOwnerOrReadOnly]
    lookup_field = "uid"


def _version(document: dict | None) -> str | None:
    """``"<version> (<12 hex of the document's SHA-256>)"`` for the edit history."""
    if document is None:
        return None
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
    return f"{document.get('version') or '-'} ({digest[:12]})"


def bound_products(uid: str) -> list[DataProduct]:
    """Products owning an output port that names contract ``uid`` (by ``contractId`` or
    by binding), ordered by uid."""
    ports = OutputPort.objects.filter(Q(contract_id=uid) | Q(data_contract__uid=uid))
    return list(DataProduct.objects.filter(output_ports__in=ports).distinct().order_by("uid"))


PUT_RESULT = inline_serializer(
    "ContractPutResult",
    {
        "outcome": serializers.ChoiceField(["created", "updated", "unchanged"]),
        "uid": serializers.CharField(),
        "ports": serializers.IntegerField(help_text="output ports bound to the contract"),
    },
)


class ContractDocument(APIView):
    """``GET``: the contract as ODCS YAML (``application/yaml``). ``PUT``: store an ODCS
    YAML body whose ``id`` equals the URL's; answers ``{"outcome":
    "created"|"updated"|"unchanged", "uid", "ports": n}`` (201 when created). 400 with
    ``problems`` when the YAML is invalid, 403 when a product using the contract is not the
    caller's to edit; nothing is written in either case."""

    permission_classes = [IsOwnerOrReadOnly]
    parser_classes = [YAMLParser]

    @extend_schema(
        responses={
            (200, "application/yaml"): OpenApiTypes.OBJECT,
            404: OpenApiResponse(description="no contract with this id"),
        }
    )
    def get(self, request, uid):
        contract = get_object_or_404(DataContract, uid=uid)
        response = HttpResponse(
            dump_yaml(contract.document), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{uid}.odcs.yaml"'
        return response

    @extend_schema(
        request={"application/yaml": OpenApiTypes.STR},
        responses={
            (200, "application/json"): PUT_RESULT,
            (201, "application/json"): PUT_RESULT,
            400: OpenApiResponse(description="invalid ODCS YAML: `problems` names each"),
            403: OpenApiResponse(description="a product using the contract is not yours"),
        },
    )
    def put(self, request, uid):
        # permissions first: the body is only read for callers who may replace it
        products = bound_products(uid)
        refused = [p.uid for p in products if not can_edit(request.user, p)]
        if refused:
            raise PermissionDenied(
                f"contract {uid} is used by products you may not edit: {', '.join(refused)}"
            )
        try:
            doc = parse_contract(
                yaml_body(request, f"{uid}.odcs.yaml", "ODCS contract"), f"{uid}.odcs.yaml"
            )
        except DescriptorError as exc:
            return Response(
                {"detail": "invalid ODCS contract", "problems": exc.problems},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if str(doc["id"]) != uid:
            problem = f"id: match: {doc['id']!r} is not this contract ({uid!r})"
            return Response(
                {"detail": "invalid ODCS contract", "problems": [problem]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        with transaction.atomic():
            old = DataContract.objects.filter(uid=uid).first()
            key = f"contract {uid}"
            changes = [ProductEdit(p, request.user, "contract upload") for p in products]
            for change in changes:
                change.before[key] = _version(old.document if old else None)
            contract, outcome = apply_contract(doc)
            if outcome != "unchanged":
                for change in changes:
                    change.after[key] = _version(contract.document)
                    change.summary = f"contract {uid} {outcome}"
                    change.finish()  # in this transaction
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(
            {"outcome": outcome, "uid": contract.uid, "ports": contract.ports.count()},
            status=code,
        )
