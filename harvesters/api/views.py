"""Source and run endpoints: list/create sources, trigger a harvest, read runs."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import HarvestRun, Source
from harvesters.api.serializers import HarvestRunSerializer, SourceSerializer
from harvesters.filtersets import SourceFilterSet
from harvesters.tasks import enqueue_harvest


class SourceListView(generics.ListCreateAPIView):
    """``GET /api/v1/sources`` lists sources (filters ``kind``, ``enabled``, ``q``:
    :class:`harvesters.filtersets.SourceFilterSet`); ``POST`` (token) creates one.

    400 names an unknown kind or each bad config key.
    """

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet


class SourceDetailView(generics.RetrieveUpdateDestroyAPIView):
    """``GET/PUT/PATCH/DELETE /api/v1/sources/<id>`` (writes need a token)."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer


class HarvestNowView(APIView):
    """``POST /api/v1/sources/<id>/harvest`` (token) queues a harvest → 202 with the run.

    Poll ``GET /api/v1/runs/<run id>`` for progress and the final report.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: HarvestRunSerializer})
    def post(self, request, pk: int):
        source = get_object_or_404(Source, pk=pk)
        run = enqueue_harvest(source)
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
