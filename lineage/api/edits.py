"""Manual lineage and history endpoints (issue 13, parts 4 and 5).

- ``GET /api/v1/lineage/edges?urn=<asset>[&as_of=][&hidden=][&ended=]``: the dataset and
  column edges into and out of an asset, with provenance (``{dataset: [...], column:
  [...]}``).
- ``POST /api/v1/lineage/edges``: add a manual edge (dataset, or column with
  ``upstream_field``/``downstream_field``) with a note; 201 with the edge.
- ``DELETE /api/v1/lineage/edges/<id>`` / ``/lineage/column-edges/<id>``: end a manual edge.
- ``POST /api/v1/lineage/edges/<id>/hide`` ``{reason}`` / ``.../unhide``: hide or show a
  harvested edge (``column-edges`` likewise).
- ``GET /api/v1/schema-versions?urn=`` and ``GET /api/v1/schema-diff?urn=&from=&to=``.

Writes follow :mod:`lineage.services` (owners of the downstream asset, stewards, staff;
403 otherwise, 401 anonymous); bad input is a 400 naming the item, a duplicate manual
edge a 409.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Asset
from identity.permissions import ReadPolicyPermission
from lineage import services
from lineage.api.views import AS_OF, BAD_REQUEST, NOT_FOUND, EdgeAssertionSerializer
from lineage.edge_details import COLUMNS, assertion
from lineage.history import schema_diff, schema_versions
from lineage.models import FieldLineageEdge, LineageEdge, SchemaVersion, edge_filter

URN = OpenApiParameter("urn", str, required=True, description="Asset URN")
HIDDEN_LISTED = OpenApiParameter(
    "hidden", bool, description="false: leave out edges an owner hid (default true: list them)"
)
ENDED = OpenApiParameter(
    "ended", bool, description="true: also list edges that ended (their whole history)"
)


class EdgeInput(serializers.Serializer):
    """Body of ``POST /api/v1/lineage/edges``."""

    upstream = serializers.CharField(help_text="upstream asset URN")
    downstream = serializers.CharField(help_text="downstream asset URN")
    note = serializers.CharField(max_length=services.NOTE_MAX, help_text="why this edge exists")
    job = serializers.CharField(required=False, allow_blank=True, default="")
    upstream_field = serializers.CharField(required=False, allow_blank=True, default="")
    downstream_field = serializers.CharField(required=False, allow_blank=True, default="")
    transformation = serializers.ChoiceField(choices=services.TRANSFORMATIONS, default="DIRECT")
    subtype = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)


class HideInput(serializers.Serializer):
    """Body of ``POST .../hide``."""

    reason = serializers.CharField(max_length=services.NOTE_MAX)


class EdgeRowSerializer(EdgeAssertionSerializer):
    """An edge row with its ends: ``kind`` (dataset or column), ``upstream``,
    ``downstream`` (asset URNs), ``upstream_field``/``downstream_field`` (column edges),
    ``job``, ``transformation``, ``subtype`` and the provenance of
    :class:`EdgeAssertionSerializer`."""

    kind = serializers.ChoiceField(choices=["dataset", "column"])
    upstream = serializers.CharField()
    downstream = serializers.CharField()
    upstream_field = serializers.CharField(allow_null=True)
    downstream_field = serializers.CharField(allow_null=True)
    job = serializers.CharField(allow_null=True)
    transformation = serializers.CharField(allow_null=True)
    subtype = serializers.CharField(allow_null=True)


DATASET_ENDS = ("upstream__urn", "downstream__urn", "job__urn")
COLUMN_ENDS = (
    "upstream__asset__urn",
    "upstream__name",
    "downstream__asset__urn",
    "downstream__name",
    "job__urn",
    "transformation",
    "subtype",
)


def dataset_row(row: dict) -> dict:
    """A dataset edge row (``values()`` with :data:`DATASET_ENDS` and COLUMNS)."""
    return {
        "kind": "dataset",
        "upstream": row["upstream__urn"],
        "downstream": row["downstream__urn"],
        "upstream_field": None,
        "downstream_field": None,
        "job": row["job__urn"],
        "transformation": None,
        "subtype": None,
        **assertion(row),
    }


def column_row(row: dict) -> dict:
    """A column edge row (``values()`` with :data:`COLUMN_ENDS` and COLUMNS)."""
    return {
        "kind": "column",
        "upstream": row["upstream__asset__urn"],
        "downstream": row["downstream__asset__urn"],
        "upstream_field": row["upstream__name"],
        "downstream_field": row["downstream__name"],
        "job": row["job__urn"],
        "transformation": row["transformation"],
        "subtype": row["subtype"],
        **assertion(row),
    }


def edge_rows(asset: Asset, *, as_of=None, hidden: bool = True, ended: bool = False) -> dict:
    """``{dataset: [row], column: [row]}``: edges into or out of ``asset`` (current ones,
    or valid at ``as_of``, or every one with ``ended``), hidden ones included unless
    ``hidden`` is False; ordered by valid_from. Two queries."""
    from django.db.models import Q

    visible = Q() if ended else edge_filter(as_of, hidden)
    dataset = (
        LineageEdge.objects.filter(visible)
        .filter(Q(upstream=asset) | Q(downstream=asset))
        .order_by("valid_from", "id")
        .values(*DATASET_ENDS, *COLUMNS)
    )
    column = (
        FieldLineageEdge.objects.filter(visible)
        .filter(Q(upstream__asset=asset) | Q(downstream__asset=asset))
        .order_by("valid_from", "id")
        .values(*COLUMN_ENDS, *COLUMNS)
    )
    return {"dataset": [dataset_row(r) for r in dataset], "column": [column_row(r) for r in column]}


def one_row(edge) -> dict:
    """The API row of one edge instance."""
    if isinstance(edge, LineageEdge):
        row = LineageEdge.objects.filter(id=edge.id).values(*DATASET_ENDS, *COLUMNS).get()
        return dataset_row(row)
    row = FieldLineageEdge.objects.filter(id=edge.id).values(*COLUMN_ENDS, *COLUMNS).get()
    return column_row(row)


def _invalid(exc: services.LineageEditError) -> ValidationError:
    return ValidationError({exc.field: [exc.message]})


class EdgeListQuery(serializers.Serializer):
    """Query of ``GET /api/v1/lineage/edges``."""

    urn = serializers.CharField()
    as_of = serializers.DateTimeField(required=False, default=None)
    hidden = serializers.BooleanField(default=True)
    ended = serializers.BooleanField(default=False)


class EdgesView(APIView):
    """``GET``: the edges of an asset with provenance; ``POST``: add a manual edge."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(
        operation_id="v1_lineage_edges_list",
        parameters=[URN, AS_OF, HIDDEN_LISTED, ENDED],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="{dataset: [EdgeRow], column: [EdgeRow]} (hidden edges included "
                "unless hidden=false)",
            ),
            400: BAD_REQUEST,
            404: NOT_FOUND,
        },
    )
    def get(self, request):
        """Edges into and out of the asset ``urn`` (404 if unknown)."""
        query = EdgeListQuery(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        q = query.validated_data
        asset = get_object_or_404(Asset, urn=q["urn"])
        return Response(edge_rows(asset, as_of=q["as_of"], hidden=q["hidden"], ended=q["ended"]))

    @extend_schema(
        request=EdgeInput,
        responses={201: EdgeRowSerializer, 400: BAD_REQUEST, 409: BAD_REQUEST},
        description="Add a manual edge (provenance manual, author, note). Owners of the "
        "downstream asset, stewards and staff.",
    )
    def post(self, request):
        """Add a manual dataset or column edge; 201 with the new edge row."""
        body = EdgeInput(data=request.data)
        if not body.is_valid():
            raise ValidationError(body.errors)
        try:
            edge = services.add_edge(request.user, **body.validated_data)
        except services.EdgeExists as exc:
            return Response(
                {"edge": [exc.message], "id": exc.edge.id}, status=status.HTTP_409_CONFLICT
            )
        except services.LineageEditError as exc:
            raise _invalid(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(one_row(edge), status=status.HTTP_201_CREATED)


class EdgeObjectView(APIView):
    """Base of the views acting on one edge (``model``: dataset or column edges)."""

    permission_classes = [ReadPolicyPermission]
    model = LineageEdge

    def edge(self, pk: int):
        """The edge ``pk`` of this view's model (404 if unknown)."""
        return get_object_or_404(self.model.objects.all(), pk=pk)


class EdgeDetailView(EdgeObjectView):
    """``GET`` one edge row; ``DELETE`` ends a manual edge (204)."""

    @extend_schema(responses={200: EdgeRowSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        """The edge row with its provenance and validity."""
        return Response(one_row(self.edge(pk)))

    @extend_schema(responses={204: None, 400: BAD_REQUEST, 404: NOT_FOUND})
    def delete(self, request, pk: int):
        """End the manual edge (kept as history); a harvested edge is a 400 (hide it)."""
        try:
            services.remove_edge(request.user, self.edge(pk))
        except services.LineageEditError as exc:
            raise _invalid(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class ColumnEdgeDetailView(EdgeDetailView):
    """As :class:`EdgeDetailView`, for column edges."""

    model = FieldLineageEdge


class EdgeHideView(EdgeObjectView):
    """``POST .../hide`` ``{reason}``: hide a harvested edge; 200 with the edge row."""

    @extend_schema(request=HideInput, responses={200: EdgeRowSerializer, 400: BAD_REQUEST})
    def post(self, request, pk: int):
        """Hide the edge with a reason."""
        body = HideInput(data=request.data)
        if not body.is_valid():
            raise ValidationError(body.errors)
        edge = self.edge(pk)
        try:
            services.hide_edge(request.user, edge, body.validated_data["reason"])
        except services.LineageEditError as exc:
            raise _invalid(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(one_row(edge))


class EdgeUnhideView(EdgeObjectView):
    """``POST .../unhide``: show a hidden edge again; 200 with the edge row."""

    @extend_schema(request=None, responses={200: EdgeRowSerializer})
    def post(self, request, pk: int):
        """Un-hide the edge."""
        edge = self.edge(pk)
        try:
            services.unhide_edge(request.user, edge)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(one_row(edge))


class ColumnEdgeHideView(EdgeHideView):
    """Hide a column edge."""

    model = FieldLineageEdge


class ColumnEdgeUnhideView(EdgeUnhideView):
    """Un-hide a column edge."""

    model = FieldLineageEdge


class SchemaVersionsView(APIView):
    """``GET /api/v1/schema-versions?urn=`` → ``{urn, versions: [{version, valid_from,
    valid_to, columns: [{name, data_type, native_type, nullable}]}]}``, oldest first."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(
        parameters=[URN],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 404: NOT_FOUND},
    )
    def get(self, request):
        """The schema versions of the asset ``urn`` (404 if unknown)."""
        asset = get_object_or_404(Asset, urn=request.query_params.get("urn", ""))
        return Response({"urn": asset.urn, "versions": schema_versions(asset)})


class SchemaDiffView(APIView):
    """``GET /api/v1/schema-diff?urn=&from=<version>&to=<version>`` → ``{urn, from, to,
    added: [column], removed: [column], changed: [{name, from, to}]}``; ``to`` defaults
    to the latest version, ``from`` to the one before ``to``. 400 naming a version that
    is not a number or does not exist."""

    permission_classes = [ReadPolicyPermission]

    @extend_schema(
        parameters=[
            URN,
            OpenApiParameter("from", int, description="older version (default: to - 1)"),
            OpenApiParameter("to", int, description="newer version (default: the latest)"),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    def get(self, request):
        """The diff between two schema versions of the asset."""
        asset = get_object_or_404(Asset, urn=request.query_params.get("urn", ""))
        versions = {v.version: v for v in SchemaVersion.objects.filter(asset=asset)}
        to = _version(request, "to", max(versions, default=0), versions)
        old = _version(request, "from", to - 1, versions)
        diff = schema_diff(versions[old].columns if old else [], versions[to].columns)
        return Response({"urn": asset.urn, "from": old, "to": to, **diff})


def _version(request, name: str, default: int, versions: dict) -> int:
    raw = request.query_params.get(name, "")
    if raw == "":
        if default == 0 and name == "from":
            return 0  # the first version: everything added
        if default not in versions:
            raise ValidationError({name: ["this asset has no schema versions"]})
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in versions:
        raise ValidationError({name: [f"no schema version {raw!r} (have {sorted(versions)})"]})
    return int(raw)
