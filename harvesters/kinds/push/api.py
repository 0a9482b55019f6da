"""``POST /api/v1/assets/bulk``: any harvester pushes datasets, fields, owners, tags and
lineage edges to a named source (kind ``push``), and deletes what it no longer has.

Item format: :mod:`harvesters.kinds.push.items`; write rule: :mod:`harvesters.kinds.push.ingest`.
Writes need a token with scope ``ingest`` (``Authorization: Bearer <token>``).
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from harvesters.access import can_manage_source
from harvesters.kinds.openlineage.api import AUTHENTICATION, read_body
from harvesters.kinds.push.ingest import PushRefused, push_assets, push_source
from harvesters.kinds.push.items import NDJSON, error, parse_body

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}
ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='``{"errors": [{"path": "$.source", "message": "..."}]}``',
)
RESULT = inline_serializer(
    "AssetPushResult",
    {
        "source": serializers.CharField(),
        "run": serializers.IntegerField(help_text="id of the HarvestRun recording the push"),
        "run_status": serializers.ChoiceField(choices=["succeeded", "partial", "failed"]),
        "complete": serializers.BooleanField(),
        "removed": serializers.IntegerField(help_text="assets soft-deleted as stale"),
        "received": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "deleted": serializers.IntegerField(),
        "not_found": serializers.IntegerField(),
        "invalid": serializers.IntegerField(),
        "warnings": serializers.ListField(child=serializers.DictField()),
        "results": inline_serializer(
            "AssetPushItemResult",
            {
                "index": serializers.IntegerField(),
                "urn": serializers.CharField(),
                "op": serializers.ChoiceField(choices=["upsert", "delete", ""]),
                "status": serializers.ChoiceField(
                    choices=["created", "updated", "deleted", "not_found", "invalid"]
                ),
                "errors": serializers.ListField(child=serializers.DictField(), required=False),
            },
            many=True,
        ),
    },
)
EXAMPLE = OpenApiExample(
    "Two datasets and a delete",
    value=[
        {
            "urn": "urn:mc:dataset:postgres://db:5432/shop.public.orders",
            "description": "One row per order",
            "fields": [
                {"name": "id", "data_type": "integer", "is_primary_key": True},
                {"name": "customer_id", "data_type": "integer"},
            ],
            "owners": [{"name": "ana@example.com"}],
            "tags": ["gold"],
            "upstreams": [
                {
                    "urn": "urn:mc:dataset:postgres://db:5432/shop.public.raw_orders",
                    "job": "urn:mc:job:airflow://prod/load_orders",
                    "columns": [{"field": "id", "upstream_field": "order_id"}],
                }
            ],
        },
        {"urn": "urn:mc:dataset:postgres://db:5432/shop.public.raw_orders"},
        {"op": "delete", "urn": "urn:mc:dataset:postgres://db:5432/shop.public.old_orders"},
    ],
    request_only=True,
)


def max_push_bytes() -> int:
    """Body limit of a push (``MESH_PUSH_MAX_BYTES``, 50 MB)."""
    return int(getattr(settings, "MESH_PUSH_MAX_BYTES", 50 * 1024 * 1024))


class AssetBulkView(APIView):
    """``POST /api/v1/assets/bulk`` (token with scope ``ingest``): upsert and delete
    datasets of a named source, per item, idempotently by URN.

    The body is a JSON array of items, NDJSON (``Content-Type: application/x-ndjson``)
    or ``{"source", "complete", "owner_team", "items": [...]}``; ``source``,
    ``complete`` and ``owner_team`` may also be query parameters. Answers 200 when
    every item was stored, 207 when some were invalid (the others are stored), 400 when
    none was valid or the request is unusable (no source, a source of another kind, a
    body that is not JSON), 403 when the source belongs to a team the caller is not in,
    413 over ``MESH_PUSH_MAX_BYTES``.
    """

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="assets_bulk_push",
        parameters=[
            OpenApiParameter(
                "source",
                str,
                description="Name (slug) of the push source; created on "
                "first use with kind 'push'. Required here or in the body object.",
            ),
            OpenApiParameter(
                "complete",
                bool,
                description="true: the request holds the whole source; "
                "what it reported before and not now is soft-deleted (stale removal, "
                "behind the fail-safe). Default false.",
            ),
            OpenApiParameter(
                "owner_team",
                str,
                description="Team slug owning a source created by this "
                "push (the caller must be a member).",
            ),
        ],  # fmt: skip
        request={
            "application/json": {"type": "array", "items": {"type": "object"}},
            NDJSON: {"type": "string", "description": "one JSON item per line"},
        },
        responses={200: RESULT, 207: RESULT, 400: ERRORS, 403: ERRORS, 413: ERRORS},
        examples=[EXAMPLE],
    )
    def post(self, request):
        """Push items; see the class docstring and :mod:`harvesters.kinds.push.items`."""
        body, problem = read_body(request, max_push_bytes())
        if problem:
            problem.data["errors"][0]["message"] += " (MESH_PUSH_MAX_BYTES)"
            return problem
        items, envelope, errors = parse_body(body, request.META.get("CONTENT_TYPE", ""))
        if errors:
            return Response({"errors": errors}, status=400)
        params = request.query_params
        name = envelope.get("source", params.get("source", ""))
        complete = envelope.get("complete", params.get("complete", "false"))
        owner_team = envelope.get("owner_team", params.get("owner_team", ""))
        if isinstance(complete, str) and complete.lower() in TRUE | FALSE:
            complete = complete.lower() in TRUE
        if not isinstance(complete, bool):
            return bad("$.complete", "complete must be true or false")
        if not isinstance(name, str) or not name:
            return bad("$.source", 'name the source: ?source=<name> or {"source": ...}')
        if not isinstance(owner_team, str):
            return bad("$.owner_team", "owner_team must be a team slug")
        try:
            source = push_source(name, owner_team, check=_may_push(request.user))
        except PushRefused as exc:
            return bad("$.source", str(exc))
        result = push_assets(source, items, complete=complete, nul=b"\\u0000" in body)
        tally = result.tally()
        status = 200
        if tally["invalid"]:
            status = 400 if tally["invalid"] == tally["received"] else 207
        return Response(
            {
                "source": source.name,
                "run": result.run.id,
                "run_status": result.run.status,
                "complete": complete,
                "removed": result.removed,
                **tally,
                "warnings": result.warnings,
                "results": [r.as_dict() for r in result.results],
            },
            status=status,
        )


def bad(path: str, message: str) -> Response:
    """A 400 naming ``path`` and the reason."""
    return Response({"errors": [error(path, message)]}, status=400)


def _may_push(user):
    """The source check of :func:`push_source`: a source with an owning team takes
    pushes only from staff and that team's members (403 otherwise)."""

    def check(source=None, owner_team: str = "") -> None:
        team = source.owner_team if source is not None else owner_team
        if team and not can_manage_source(user, owner_team=team):
            raise PermissionDenied(
                f"Only staff or members of team '{team}' may push to this source."
            )

    return check
