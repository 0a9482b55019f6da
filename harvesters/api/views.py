"""Source and run endpoints: list/create sources, trigger a harvest, read runs."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.params import bool_param
from catalog.models import HarvestRun, Source
from harvesters.access import NOT_ALLOWED, CanManageSource, can_manage_source
from harvesters.api.serializers import (
    HarvestRunSerializer,
    RestoreRequestSerializer,
    RestoreResultSerializer,
    RunChangeSerializer,
    SourceSerializer,
)
from harvesters.cancel import CancelRefused, cancel_run
from harvesters.filtersets import SourceFilterSet
from harvesters.guard import harvest_refusal
from harvesters.models import RunChange
from harvesters.secrets import mask_config
from harvesters.services import (
    RestoreError,
    SourceProblem,
    delete_source,
    probe_source,
    restore_run_assets,
)
from harvesters.tasks import Refused, enqueue_harvest, is_resumable
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
    another team needs membership of that team too. ``PATCH {"enabled": false}``
    disables it (and its schedule); ``PATCH {"schedule": ...}`` sets or (null) removes
    the schedule. ``DELETE`` soft-deletes the assets only this source reported, deletes
    its lineage edges, runs and schedule (``harvesters.services.delete_source``); 409
    while a harvest is queued or running."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    permission_classes = [ReadPolicyPermission, CanManageSource]

    def perform_update(self, serializer) -> None:
        owner = serializer.validated_data.get("owner_team")
        if owner is not None and not can_manage_source(self.request.user, owner_team=owner):
            raise PermissionDenied(NOT_ALLOWED)
        serializer.save()

    @extend_schema(
        responses={
            204: OpenApiResponse(description="deleted"),
            409: OpenApiResponse(description="a harvest is queued or running"),
        }
    )
    def delete(self, request, *args, **kwargs):
        """Delete the source; 409 ``{"detail"}`` while a run is queued or running."""
        source = self.get_object()
        try:
            delete_source(source)
        except SourceProblem as exc:
            return Response({"detail": " ".join(exc.errors["detail"])}, status=exc.status)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProbeSerializer(serializers.Serializer):
    """Body of a connection test: ``kind`` and ``config`` (for a stored source both are
    optional: masked secrets and missing keys come from the stored source)."""

    kind = serializers.CharField(required=False)
    config = serializers.JSONField(required=False)
    owner_team = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="new sources: the team that would own it (the caller must be staff or in it)",
    )


class NewProbeSerializer(ProbeSerializer):
    """Body of a connection test of a source not yet created: ``kind`` and ``config``
    (an object) are required, ``owner_team`` optional; 400 naming a missing one."""

    kind = serializers.CharField()
    config = serializers.DictField()


class ProbeResultSerializer(serializers.Serializer):
    """Outcome of a connection test: ``ok``, ``message`` in words, ``seconds`` taken."""

    ok = serializers.BooleanField()
    message = serializers.CharField()
    seconds = serializers.FloatField()


def _probe_response(result) -> Response:
    code = status.HTTP_503_SERVICE_UNAVAILABLE if result.busy else status.HTTP_200_OK
    return Response(result.as_dict(), status=code)


class SourceProbeView(APIView):
    """``POST /api/v1/sources/test-connection`` ``{kind, config}``: test a config before
    creating the source (a read-only probe bounded by ``MESH_PROBE_TIMEOUT_SECONDS``)
    → 200 ``{ok, message, seconds}`` (``ok`` false with the reason in words when the
    source cannot be reached, the config is invalid or the probe timed out); 503 when
    too many tests are running. 403 unless the caller is staff or a member of the
    ``owner_team`` given (whoever may create the source may test it)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="sources_test_connection_new",
        request=NewProbeSerializer,
        responses={200: ProbeResultSerializer},
    )
    def post(self, request):
        """Probe ``{kind, config}`` (400 when either is missing or of the wrong type)."""
        body = NewProbeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        owner = body.validated_data.get("owner_team") or ""
        if not can_manage_source(request.user, owner_team=owner):
            raise PermissionDenied(NOT_ALLOWED)
        config = body.validated_data.get("config") or {}
        if not isinstance(config, dict):
            return Response({"config": ["expected an object"]}, status=400)
        kind = body.validated_data.get("kind") or ""
        return _probe_response(probe_source(kind, config))


class SourceProbeStoredView(APIView):
    """``POST /api/v1/sources/<id>/test-connection`` (optional body ``{config}``, masked
    secrets kept from the stored source): test the stored or edited config → 200
    ``{ok, message, seconds}``; 403 unless the caller may manage the source."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="sources_test_connection_stored",
        request=ProbeSerializer,
        responses={200: ProbeResultSerializer},
    )
    def post(self, request, pk: int):
        source = get_object_or_404(Source, pk=pk)
        if not can_manage_source(request.user, source):
            raise PermissionDenied(NOT_ALLOWED)
        body = ProbeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        config = body.validated_data.get("config")
        if config is None:
            config = mask_config(source.config)
        if not isinstance(config, dict):
            return Response({"config": ["expected an object"]}, status=400)
        return _probe_response(probe_source(source.kind, config, stored=source))


class RunCancelView(APIView):
    """``POST /api/v1/runs/<id>/cancel``: cancel a queued run at once, or ask a running
    one to stop (it keeps what it read, removes nothing, ends ``cancelled``) → 202 with
    the run; 409 when it already ended; 403 unless the caller may manage its source."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: HarvestRunSerializer})
    def post(self, request, pk: int):
        run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
        if not can_manage_source(request.user, run.source):
            raise PermissionDenied(NOT_ALLOWED)
        try:
            cancel_run(run, request.user.get_username())
        except CancelRefused as exc:
            return Response({"detail": exc.detail}, status=exc.status)
        run.refresh_from_db()
        return Response(HarvestRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


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
        wants_resume = bool_param(request.query_params, "resume")
        resume = None
        if wants_resume:
            resume = source.runs.order_by("-started_at", "-id").first()
            if resume is None or not is_resumable(resume):
                refusal = harvest_refusal(source)  # a run going: say so (with its id)
                if refusal is not None:
                    return Response(refusal[1], status=refusal[0])
                return Response(
                    {"detail": f"source '{source.name}' has no run to resume: its newest run "
                     "did not fail (or was not cancelled) after committing batches"},
                    status=status.HTTP_409_CONFLICT,
                )  # fmt: skip
        try:
            run = enqueue_harvest(source, resume=resume)
        except Refused as exc:
            return Response(exc.body, status=exc.status)
        return Response(HarvestRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunResumeView(APIView):
    """``POST /api/v1/runs/<id>/resume`` (token): continue a run that failed or was
    cancelled after committing batches, after its last checkpoint → 202 with the run
    (queued again; poll ``GET /api/v1/runs/<id>``). The same start lock as "Harvest now"
    and the schedules: 409 ``{"detail", "run"}`` when the source has a run queued or
    running, or the run cannot be resumed (no checkpoint, not the source's newest run,
    not failed/cancelled); 403 unless staff or in the owning team."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            202: HarvestRunSerializer,
            403: OpenApiResponse(description="not staff nor in the owning team"),
            404: OpenApiResponse(description="no such run"),
            409: OpenApiResponse(description="a run of the source is going, or not resumable"),
        },
    )
    def post(self, request, pk: int):
        run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
        if not can_manage_source(request.user, run.source):
            raise PermissionDenied(NOT_ALLOWED)
        try:
            run = enqueue_harvest(run.source, resume=run)
        except Refused as exc:
            return Response(exc.body, status=exc.status)
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
        """The run's changes (404 for an unknown run)."""
        if getattr(self, "swagger_fake_view", False):  # schema generation: no run
            return RunChange.objects.none()
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
        data = request.data  # no body: an empty dict (restore everything)
        if not isinstance(data, dict):  # null, a list, a number: not the documented object
            raise ValidationError({"non_field_errors": ['expected a JSON object {"urns": [...]}']})
        body = RestoreRequestSerializer(data=data)
        body.is_valid(raise_exception=True)
        try:
            result = restore_run_assets(run, request.user, body.validated_data.get("urns"))
        except RestoreError as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        return Response(result)
