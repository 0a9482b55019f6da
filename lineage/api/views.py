"""Lineage endpoints: graph around an asset, column lineage and impact analysis."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Asset
from lineage import queries
from lineage.api.serializers import JobRunSerializer
from lineage.filtersets import JobRunFilterSet
from lineage.graph.base import DIRECTIONS, EdgeView
from lineage.models import JobRun

URN = OpenApiParameter(
    "urn",
    str,
    required=True,
    description="Asset URN (dataset, job or dashboard), e.g. "
    "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main.customers; for a job the "
    "graph runs through its inputs (upstream) and outputs (downstream)",
)
DEPTH = OpenApiParameter(
    "depth", str, description="Hops to follow: a positive integer (default 3) or 'all'"
)
IMPACT_DEPTH = OpenApiParameter(
    "depth", str, description="Hops to follow: a positive integer, or 'all' (default)"
)
DIRECTION = OpenApiParameter(
    "direction", str, enum=list(DIRECTIONS), description="upstream, downstream or both (default)"
)
FIELD = OpenApiParameter("field", str, required=True, description="Column name in the asset")
INDIRECT = OpenApiParameter(
    "indirect",
    bool,
    description="true (default): follow every lineage edge; false: skip dataset edges "
    "whose column lineage is all INDIRECT (filters, joins, grouping, sorting, conditions)",
)
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description="ISO 8601 time (UTC when no offset): answer with the edges valid then "
    "(valid_from <= as_of < valid_to) instead of the current ones",
)
HIDDEN = OpenApiParameter(
    "hidden",
    bool,
    description="true: also follow edges an owner hid (each edge says hidden: true); default false",
)
FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="csv: download impact.csv"
)


def node_direction() -> serializers.ChoiceField:
    """A node's ``direction`` field: ``root``, ``upstream`` or ``downstream`` (a new
    instance per serializer, so fields keep their declaration order)."""
    return serializers.ChoiceField(choices=["root", *DIRECTIONS[:2]])


def edge_details() -> dict:
    """The provenance fields of a lineage answer's edge (see
    :mod:`lineage.edge_details`), new instances per serializer."""
    return {
        "first_seen": serializers.DateTimeField(allow_null=True),
        "last_seen": serializers.DateTimeField(allow_null=True),
        "sources": serializers.ListField(
            child=serializers.CharField(),
            help_text="names of the sources asserting the edge; 'manual' for a manual edge",
        ),
        "manual": serializers.BooleanField(help_text="an owner added it by hand"),
        "hidden": serializers.BooleanField(help_text="hidden by an owner (only with hidden=true)"),
        "assertions": EdgeAssertionSerializer(many=True),
    }


class EdgeAssertionSerializer(serializers.Serializer):
    """One stored row behind an edge (OpenAPI component ``EdgeAssertion``)."""

    id = serializers.IntegerField()
    provenance = serializers.ChoiceField(choices=["harvested", "manual"])
    source = serializers.CharField(allow_null=True, help_text="source name; null when manual")
    author = serializers.CharField(allow_null=True, help_text="who added a manual edge")
    note = serializers.CharField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    valid_from = serializers.DateTimeField()
    valid_to = serializers.DateTimeField(allow_null=True)
    hidden = serializers.BooleanField()
    hidden_at = serializers.DateTimeField(allow_null=True)
    hidden_by = serializers.CharField(allow_null=True)
    hidden_reason = serializers.CharField()


BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT, description="A bad parameter: ``{parameter: [message, ...]}``"
)
NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown URN (or field)")
LINEAGE_GRAPH = inline_serializer(
    "LineageGraph",
    {
        "nodes": inline_serializer(
            "LineageGraphNode",
            {
                "urn": serializers.CharField(),
                "name": serializers.CharField(),
                "type": serializers.CharField(),
                "platform": serializers.CharField(),
                "depth": serializers.IntegerField(help_text="hops from the root (0: the root)"),
                "direction": node_direction(),
            },
            many=True,
        ),
        "edges": inline_serializer(
            "LineageGraphEdge",
            {
                "source": serializers.CharField(help_text="upstream asset URN"),
                "target": serializers.CharField(help_text="downstream asset URN"),
                "job": serializers.CharField(
                    allow_null=True, help_text="URN of the job the data flows through"
                ),
                **edge_details(),
            },
            many=True,
        ),
    },
)


class ColumnRefSerializer(serializers.Serializer):
    """A column of an asset, ``{urn, field}`` (OpenAPI component ``ColumnRef``)."""

    urn = serializers.CharField()
    field = serializers.CharField()


COLUMN_LINEAGE_GRAPH = inline_serializer(
    "ColumnLineageGraph",
    {
        "nodes": inline_serializer(
            "ColumnLineageNode",
            {
                "urn": serializers.CharField(),
                "field": serializers.CharField(),
                "name": serializers.CharField(help_text="<asset name>.<field>"),
                "depth": serializers.IntegerField(),
                "direction": node_direction(),
            },
            many=True,
        ),
        "edges": inline_serializer(
            "ColumnLineageEdge",
            {
                "source": ColumnRefSerializer(),
                "target": ColumnRefSerializer(),
                "transformation": serializers.ChoiceField(choices=["DIRECT", "INDIRECT"]),
                "subtypes": serializers.ListField(
                    child=serializers.CharField(),
                    help_text="OpenLineage subtypes: IDENTITY, TRANSFORMATION, AGGREGATION "
                    "(DIRECT); FILTER, JOIN, GROUP_BY, SORT, WINDOW, CONDITIONAL (INDIRECT)",
                ),
                **edge_details(),
            },
            many=True,
        ),
    },
)
IMPACT = inline_serializer(
    "Impact",
    {
        "urn": serializers.CharField(),
        "count": serializers.IntegerField(),
        "results": inline_serializer(
            "ImpactRow",
            {
                "urn": serializers.CharField(),
                "name": serializers.CharField(),
                "type": serializers.CharField(),
                "platform": serializers.CharField(),
                "depth": serializers.IntegerField(),
                "path": serializers.ListField(
                    child=serializers.CharField(), help_text="URNs from the root to this asset"
                ),
                "owners": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
    },
)


class LineageQuery(serializers.Serializer):
    """Query parameters shared by the lineage endpoints."""

    urn = serializers.CharField()
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="both")
    depth = serializers.CharField(required=False)
    as_of = serializers.DateTimeField(required=False, default=None)
    hidden = serializers.BooleanField(default=False)

    def validate_depth(self, value: str) -> int | None:
        """A positive integer, or ``all`` for no bound."""
        if value in ("", "all"):
            return None
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise serializers.ValidationError("depth must be a positive integer or 'all'")
        return int(value)


def parse(request, serializer_class=LineageQuery, default_depth: int | None = 3) -> dict:
    """Validate query parameters; 400 with each problem named."""
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        raise ValidationError(query.errors)
    data = dict(query.validated_data)
    data.setdefault("depth", default_depth)
    data["view"] = EdgeView(as_of=data.pop("as_of", None), hidden=data.pop("hidden", False))
    return data


class LineageView(APIView):
    """``GET /api/v1/lineage?urn=&direction=&depth=`` → ``{nodes: [{urn, name, type,
    platform, depth, direction}], edges: [{source, target, job}]}``; 404 if the URN is
    unknown, 400 for bad parameters.

    The ``openlineage`` source kind adds ``POST`` on the same path
    (:class:`harvesters.kinds.openlineage.api.LineageIntakeView`)."""

    @extend_schema(
        parameters=[URN, DIRECTION, DEPTH, AS_OF, HIDDEN],
        responses={200: LINEAGE_GRAPH, 400: BAD_REQUEST, 404: NOT_FOUND},
        description="The lineage graph around an asset (a job: through its inputs and outputs).",
    )
    def get(self, request):
        """``{nodes, edges}`` of :func:`lineage.queries.asset_lineage`."""
        q = parse(request)
        return Response(queries.asset_lineage(q["urn"], q["direction"], q["depth"], q["view"]))


class ImpactQuery(LineageQuery):
    """Lineage query plus ``indirect`` (default true)."""

    indirect = serializers.BooleanField(default=True)


class ColumnLineageQuery(LineageQuery):
    """Lineage query plus the column name."""

    field = serializers.CharField()


class ColumnLineageView(APIView):
    """``GET /api/v1/column-lineage?urn=&field=&direction=&depth=`` → ``{nodes: [{urn,
    field, name, depth, direction}], edges: [{source: {urn, field}, target: {urn, field},
    transformation}]}``."""

    @extend_schema(
        parameters=[URN, FIELD, DIRECTION, DEPTH, AS_OF, HIDDEN],
        responses={200: COLUMN_LINEAGE_GRAPH, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    def get(self, request):
        """``{nodes, edges}`` of :func:`lineage.queries.column_lineage`."""
        q = parse(request, ColumnLineageQuery)
        return Response(
            queries.column_lineage(q["urn"], q["field"], q["direction"], q["depth"], q["view"])
        )


class ImpactView(APIView):
    """``GET /api/v1/impact?urn=&depth=&indirect=`` → ``{urn, count, results: [{urn, name,
    type, platform, depth, path, owners}]}``, every downstream asset (no cap); depth is
    unbounded unless given; ``indirect=false`` skips dataset edges whose column lineage
    is all INDIRECT (default true: every edge). ``format=csv`` downloads the same rows as CSV (columns
    urn, name, type, platform, depth, owners, path; lists joined by ``;`` / `` > ``)."""

    @extend_schema(
        parameters=[URN, IMPACT_DEPTH, INDIRECT, AS_OF, HIDDEN, FORMAT],
        responses={
            (200, "application/json"): IMPACT,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="urn,name,type,platform,depth,owners,path"
            ),
            400: BAD_REQUEST,
            404: NOT_FOUND,
        },
        description="Every downstream asset (a job: its outputs and their downstream).",
    )
    def get(self, request):
        """``{urn, count, results}`` of :func:`lineage.queries.impact`, or CSV."""
        q = parse(request, ImpactQuery, default_depth=None)
        rows = queries.impact(q["urn"], q["depth"], q["indirect"], q["view"])
        if request.query_params.get("format") == "csv":
            return csv_response(rows)
        return Response({"urn": q["urn"], "count": len(rows), "results": rows})

    def perform_content_negotiation(self, request, force=False):
        # ``format=csv`` is handled above, not by a renderer.
        if request.query_params.get("format") == "csv":
            return super().perform_content_negotiation(request, force=True)
        return super().perform_content_negotiation(request, force)


def csv_response(rows: list[dict]) -> HttpResponse:
    """Impact rows as a CSV download named ``impact.csv``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["urn", "name", "type", "platform", "depth", "owners", "path"])
    for r in rows:
        writer.writerow(
            [
                r["urn"],
                r["name"],
                r["type"],
                r["platform"],
                r["depth"],
                ";".join(r["owners"]),
                " > ".join(r["path"]),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="impact.csv"'
    return response


class JobRunsView(generics.ListAPIView):
    """``GET /api/v1/jobs/<job urn>/runs``: run history of a job, newest first, paginated.

    Runs come from OpenLineage RunEvents (https://openlineage.io/spec/2-0-2/OpenLineage.json);
    404 if no job has that URN. Each row: ``{run_id, job, state, started_at, ended_at,
    nominal_start_time, nominal_end_time, first_event_time, last_event_time,
    parent_run_id, parent_job_urn, error_message, event_count, facets: [names]}``.
    Filters: :class:`lineage.filtersets.JobRunFilterSet` (``state``, ``started_after``,
    ``started_before``).
    """

    serializer_class = JobRunSerializer
    filterset_class = JobRunFilterSet

    def get_queryset(self):
        """Runs of the job ``urn`` (404 if unknown), newest first."""
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return JobRun.objects.none()
        job = get_object_or_404(Asset, urn=self.kwargs["urn"], kind="job")
        return (
            JobRun.objects.filter(job=job)
            .select_related("job")
            .order_by("-first_event_time", "-id")
        )
