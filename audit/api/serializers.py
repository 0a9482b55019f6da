"""Serializer of audit entries (read only)."""

from rest_framework import serializers

from audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    """One entry: ``{seq, at, actor_id, actor_name, action, subject_type, subject_id,
    subject_label, before, after, detail, prev_hash, hash}``."""

    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "at",
            "actor_id",
            "actor_name",
            "action",
            "subject_type",
            "subject_id",
            "subject_label",
            "before",
            "after",
            "detail",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
