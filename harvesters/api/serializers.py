"""Serializers of sources and harvest runs."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Subquery
from rest_framework import serializers

from catalog.models import HarvestRun, Source
from harvesters.models import RunChange
from harvesters.progress import progress_key
from harvesters.schedules import schedule_of, schedules_for
from harvesters.secrets import mask_config
from harvesters.services import UNCHANGED, SourceProblem, clean_config, clean_schedule, save_source


def last_runs(sources) -> dict[int, HarvestRun]:
    """``{source id: its newest run}`` for many sources in one query."""
    ids = [s.pk for s in sources]
    newest = HarvestRun.objects.filter(source_id=OuterRef("source_id")).order_by(
        "-started_at", "-id"
    )
    runs = HarvestRun.objects.filter(source_id__in=ids, id=Subquery(newest.values("id")[:1]))
    return {run.source_id: run for run in runs}


class SourceListSerializer(serializers.ListSerializer):
    """Lists sources with their newest runs read in one query."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["last_runs"] = last_runs(items)
        self.child.context["schedules"] = schedules_for(items)
        return super().to_representation(items)


class SourceSerializer(serializers.ModelSerializer):
    """A source: ``kind`` is a registered harvester, ``config`` its validated config.

    Secrets in ``config`` (URL passwords, ``password``/``secret``/``key`` values) are
    shown as ``********``; sending the mask back keeps the stored secret (400 when what
    it protects, e.g. the URL's host, changed). Local paths must lie under
    ``MESH_SOURCE_PATH_ROOTS`` (400 naming the key otherwise). ``owner_team``: slug of
    the team whose members may change, harvest and delete the source.
    """

    kind = serializers.CharField(help_text="a registered harvester kind: sql, dbt, lake, ...")
    last_run = serializers.SerializerMethodField()
    schedule = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='null, {"cron": "0 3 * * *", "timezone": "Europe/Paris"} or {"every": 6, '
        '"period": "hours"} (seconds, minutes, hours, days); read adds next_run_at, '
        "last_run_at and enabled. 400 names an invalid cron expression or unknown time zone",
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "config",
            "description",
            "enabled",
            "owner_team",
            "created_at",
            "last_run",
            "schedule",
        ]
        read_only_fields = ["id", "created_at", "last_run"]
        list_serializer_class = SourceListSerializer

    def validate(self, attrs: dict) -> dict:
        """Validate ``config`` against the kind's pydantic model and ``schedule``
        (:mod:`harvesters.services`); 400 names each bad key."""
        kind = attrs.get("kind") or getattr(self.instance, "kind", None)
        config = attrs.get("config", getattr(self.instance, "config", {}))
        stored = self.instance.config if self.instance is not None else None
        try:
            attrs["config"] = clean_config(kind, config, stored)
            if "schedule" in attrs:
                attrs["schedule"] = clean_schedule(attrs["schedule"])
        except SourceProblem as exc:
            raise serializers.ValidationError(exc.errors) from None
        return attrs

    def create(self, validated_data: dict) -> Source:
        """Create the source and its schedule in one transaction."""
        schedule = validated_data.pop("schedule", UNCHANGED)
        with transaction.atomic():
            return save_source(Source(**validated_data), schedule)

    def update(self, instance: Source, validated_data: dict) -> Source:
        """Change the source and (when sent) its schedule in one transaction."""
        schedule = validated_data.pop("schedule", UNCHANGED)
        for key, value in validated_data.items():
            setattr(instance, key, value)
        return save_source(instance, schedule)

    def to_representation(self, instance: Source) -> dict:
        """The source with its config's secrets masked and its schedule."""
        data = super().to_representation(instance)
        data["config"] = mask_config(data.get("config") or {})
        known = self.context.get("schedules")
        data["schedule"] = known.get(instance.pk) if known is not None else schedule_of(instance)
        return data

    def get_last_run(self, source: Source) -> dict | None:
        """``{id, status, started_at, ended_at}`` of the newest run, or null."""
        known = self.context.get("last_runs")
        if known is not None:
            run = known.get(source.pk)
        else:
            run = source.runs.order_by("-started_at", "-id").first()
        if run is None:
            return None
        return {
            "id": run.id,
            "status": run.status,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
        }


class HarvestRunSerializer(serializers.ModelSerializer):
    """A harvest run and its report; ``progress`` is live while the run is running."""

    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    duration_seconds = serializers.FloatField(
        read_only=True, allow_null=True, help_text="null while queued or running"
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = HarvestRun
        fields = [
            "id",
            "source",
            "status",
            "started_at",
            "ended_at",
            "duration_seconds",
            "counts",
            "warnings",
            "errors",
            "removed_count",
            "progress",
        ]

    def get_progress(self, run: HarvestRun) -> dict:
        """``{done, stage}``: records processed so far (from the cache while running)."""
        if run.status in (HarvestRun.Status.RUNNING, HarvestRun.Status.QUEUED):
            return cache.get(progress_key(run.id)) or {"done": 0, "stage": run.status}
        return run.progress


class RunChangeSerializer(serializers.ModelSerializer):
    """One change of a run (see :class:`harvesters.models.RunChange` for each ``kind``'s
    ``detail``); ``actor`` is the user of an ``asset_restored`` change."""

    # null for every change but ``asset_restored`` (a harvest has no user)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RunChange
        fields = ["id", "kind", "urn", "detail", "breaking", "created_at", "actor"]


class RestoreRequestSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/runs/<id>/restore``: ``urns`` to restore (omitted or null:
    every asset the run soft-deleted)."""

    urns = serializers.ListField(
        child=serializers.CharField(max_length=768),
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=10000,
    )


class RestoreResultSerializer(serializers.Serializer):
    """What a restore did: ``restored`` URNs and ``skipped`` ones (already active)."""

    restored = serializers.ListField(child=serializers.CharField())
    skipped = serializers.ListField(child=serializers.CharField())
