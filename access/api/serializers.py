"""Serializers of access requests, grants and comments."""

from rest_framework import serializers

from access.models import AccessComment, AccessRequest, Level


class AccessCommentSerializer(serializers.ModelSerializer):
    """``{author, text, at}``."""

    author = serializers.CharField(
        source="author.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = AccessComment
        fields = ["author", "text", "at"]


class AccessRequestSerializer(serializers.ModelSerializer):
    """A request or grant: ``{id, consumer, port, port_name, product, level, purpose,
    end_date, principal, state, step, step_kind, created_at, decided_by, decided_at,
    reason, provisioner, statements, attempts, last_error, next_retry_at,
    warehouse_revoked, renews}``. Writable on create: port, level, purpose, end_date,
    principal."""

    consumer = serializers.CharField(source="consumer.username", read_only=True)
    port_name = serializers.CharField(source="port.name", read_only=True)
    product = serializers.CharField(source="port.product.uid", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", default=None, allow_null=True, read_only=True
    )
    level = serializers.CharField(default=Level.READ)
    purpose = serializers.CharField(required=False, allow_blank=True, default="")
    end_date = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "consumer",
            "port",
            "port_name",
            "product",
            "level",
            "purpose",
            "end_date",
            "principal",
            "state",
            "step",
            "step_kind",
            "created_at",
            "decided_by",
            "decided_at",
            "reason",
            "provisioner",
            "statements",
            "attempts",
            "last_error",
            "next_retry_at",
            "warehouse_revoked",
            "renews",
        ]
        read_only_fields = [
            "state",
            "step",
            "step_kind",
            "created_at",
            "decided_at",
            "reason",
            "provisioner",
            "statements",
            "attempts",
            "last_error",
            "next_retry_at",
            "warehouse_revoked",
            "renews",
        ]


class ApproveSerializer(serializers.Serializer):
    """Body of approve: optional ``end_date`` (shorten only) and ``comment``."""

    end_date = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    """Body of deny / revoke: ``reason`` (required to deny)."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    """Body of comment: ``text``."""

    text = serializers.CharField(required=False, allow_blank=True, default="")


class EndDateSerializer(serializers.Serializer):
    """Body of extend: ``end_date`` (YYYY-MM-DD)."""

    end_date = serializers.CharField(required=False, allow_blank=True, default="")
