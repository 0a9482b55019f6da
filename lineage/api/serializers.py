"""Serializers of the lineage API."""

from rest_framework import serializers

from lineage.models import JobRun


class JobRunSerializer(serializers.ModelSerializer):
    """A run of a job: state, times (UTC), parent, error and a facets summary."""

    job = serializers.CharField(source="job.urn")
    facets = serializers.SerializerMethodField()

    class Meta:
        model = JobRun
        fields = [
            "run_id",
            "job",
            "state",
            "started_at",
            "ended_at",
            "nominal_start_time",
            "nominal_end_time",
            "first_event_time",
            "last_event_time",
            "parent_run_id",
            "parent_job_urn",
            "error_message",
            "event_count",
            "facets",
        ]

    def get_facets(self, run: JobRun) -> list[str]:
        """Names of the run facets received (sorted)."""
        return sorted(run.facets or {})
