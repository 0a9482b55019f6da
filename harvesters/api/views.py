"""Source and run endpoints: list/create sources, trigger a harvest, read runs."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import HarvestRun, Source
from harvesters.access import NOT_ALLOWED, CanManageSource, can_manage_source
from harvesters.api.serializers import (
    HarvestRunSerializer,
    RestoreRequestSerializer,
    RestoreResultSerializer,
    RunChangeSerializer,
    SourceSerializer,
)
from harvesters.filtersets import SourceFilterSet
from harvesters.guard import harvest_refusal
from harvesters.models import RunChange
from harvesters.services import RestoreError, restore_run_assets
from harvesters.tasks import enqueue_harvest, is_resumable
from identity.permissions import ReadPolicyPermission


class SourceListView(generics.ListCreateAPIView):
    """``GET /api/v1/sources`` lists sources (filters ``kind``, ``enabled``, ``q``:
    :class:`harvesters.filtersets.SourceFilterSet`); ``POST`` (token) creates one.

    400 names an unknown kind or each bad config key; 403 unless the caller is staff or
    a member of the new source's ``owner_team``.
    """

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    permission_classes = [ReadPolicyPermission, CanManageSource]

    def create(self, request, *args, **kwargs):
        """Refuse (403) a caller who may not own a source for the requested
        ``owner_team`` before the body is validated, then create as usual."""
        owner = request.data.get("owner_team", "") if hasattr(request.data, "get") else ""
        if not can_manage_source(request.user, owner_team=str(owner or "")):
            raise PermissionDenied(NOT_ALLOWED)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer) -> None:
        owner = serializer.validated_data.get("owner_team", "")
        if not can_manage_source(self.request.user, owner_team=owner):
            raise PermissionDenied(NOT_ALLOWED)
        serializer.save()


class SourceDetailView(generics.RetrieveUpdateDestroyAPIView):
    """``GET/PUT/PATCH/DELETE /api/v1/sources/<id>``: writes need a token of staff or
    of a member of the source's owning team (403 otherwise); handing the source to
    another team needs membership of that team too."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    permission_classes = [ReadPolicyPermission, CanManageSource]

    def perform_update(self, serializer) -> None:
        owner = serializer.validated_data.get("owner_team")
        if owner is not None and not can_manage_source(self.request.user, owner_team=owner):
            raise PermissionDenied(NOT_ALLOWED)
        serializer.save()


class HarvestNowView(APIView):
    """``POST /api/v1/sources/<id>/harvest`` (token) queues a harvest → 202 with the run.

    ``?resume=true`` continues the source's newest run after its last committed
    checkpoint (a big source whose run died midway) instead of starting a new run (409
    when there is nothing to resume).
    Poll ``GET /api/v1/runs/<run id>`` for progress and the final report. 403 unless
    staff or in the owning team; 409 ``{"detail", "run"}`` when the source is disabled,
    push-only (OpenLineage) or already has a queued or running harvest; 400 when its
    config reads paths outside ``MESH_SOURCE_PATH_ROOTS``.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "resume", bool, description="continue the newest run after its checkpoint"
            )
        ],
        responses={
            202: HarvestRunSerializer,
            400: OpenApiResponse(description="the source's config is not harvestable"),
            403: OpenApiResponse(description="not staff nor in the owning team"),
            404: OpenApiResponse(description="no such source"),
            409: OpenApiResponse(
                description="disabled, push-only, already harvesting, or nothing to resume"
            ),
        },
    )
    def post(self, request, pk: int):
        source = get_object_or_404(Source, pk=pk)
        if not can_manage_source(request.user, source):
            raise PermissionDenied(NOT_ALLOWED)
        refusal = harvest_refusal(source)
        if refusal is not None:
            code, body = refusal
            return Response(body, status=code)
        resume = None
        if request.query_params.get("resume", "").lower() in {"1", "true", "yes"}:
            resume = source.runs.order_by("-started_at", "-id").first()
            if resume is None or not is_resumable(resume):
                return Response(
                    {"detail": f"source '{source.name}' has no run to resume: its newest run "
                     "did not fail after committing batches"},
                    status=status.HTTP_409_CONFLICT,
                )  # fmt: skip
        run = enqueue_harvest(source, resume=resume)
        return Response(HarvestRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunFilterSet(django_filters.FilterSet):
    """Filters for runs: ``source`` (name) and ``status``."""

    source = django_filters.CharFilter(field_name="source__name")

    class Meta:
        model = HarvestRun
        fields = ["source", "status"]


class RunListView(generics.ListAPIView):
    """``GET /api/v1/runs`` newest first; filters ``source`` and ``status``."""

    queryset = HarvestRun.objects.select_related("source")
    serializer_class = HarvestRunSerializer
    filterset_class = RunFilterSet


class RunDetailView(generics.RetrieveAPIView):
    """``GET /api/v1/runs/<id>``: one run with its counts, warnings, errors, progress."""

    queryset = HarvestRun.objects.select_related("source")
    serializer_class = HarvestRunSerializer


class RunChangeFilterSet(django_filters.FilterSet):
    """Filters for a run's changes: ``kind`` (one of :class:`RunChange.Kind`) and
    ``breaking`` (true/false)."""

    class Meta:
        model = RunChange
        fields = ["kind", "breaking"]


class RunChangesView(generics.ListAPIView):
    """``GET /api/v1/runs/<id>/changes``: what the run changed, paginated (``page``),
    in the order recorded; filters ``kind`` and ``breaking``. 404 for an unknown run."""

    serializer_class = RunChangeSerializer
    filterset_class = RunChangeFilterSet

    def get_queryset(self):
        run = get_object_or_404(HarvestRun, pk=self.kwargs["pk"])
        return RunChange.objects.filter(run=run).select_related("actor").order_by("id")


class RunRestoreView(APIView):
    """``POST /api/v1/runs/<id>/restore`` (token): restore the assets the run
    soft-deleted: ``{"urns": [...]}`` names some, an empty body all of them.

    200 ``{"restored": [...], "skipped": [...]}`` (skipped: already active again);
    400 naming URNs the run did not remove; 403 unless staff or in the source's owning
    team; 404 for an unknown run; 409 while the source has a queued or running harvest.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RestoreRequestSerializer,
        responses={
            200: RestoreResultSerializer,
            400: OpenApiResponse(description="URNs the run did not remove, or a bad body"),
            403: OpenApiResponse(description="not staff nor in the owning team"),
            404: OpenApiResponse(description="no such run"),
            409: OpenApiResponse(description="the source is being harvested"),
        },
    )
    def post(self, request, pk: int):
        run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
        body = RestoreRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        try:
            result = restore_run_assets(run, request.user, body.validated_data.get("urns"))
        except RestoreError as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        return Response(result)
