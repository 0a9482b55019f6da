"""Serializers of incidents, subscriptions, notifications and webhooks."""

from rest_framework import serializers

from notifications import hooksecrets, urlguard
from notifications.models import (
    Delivery,
    Incident,
    IncidentEntry,
    Severity,
    Subscription,
    TargetKind,
    Webhook,
)


class IncidentEntrySerializer(serializers.ModelSerializer):
    """A timeline line ``{at, author, kind, text}``."""

    author = serializers.CharField(
        source="author.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = IncidentEntry
        fields = ["at", "author", "kind", "text"]


class IncidentSerializer(serializers.ModelSerializer):
    """``{id, title, description, episode, cause, state, severity, asset (urn), product
    (uid), port, slo, assignee, opened_by, opened_at, acknowledged_at, resolved_at,
    impact, url}``. Create takes ``title``, ``severity``, ``description`` and ``asset``
    (URN) or ``product`` (uid)."""

    # null when the incident has none (an incident names an asset, a product or both;
    # nobody assigned; opened by the catalog itself, not a user)
    asset = serializers.CharField(source="asset.urn", default=None, required=False, allow_null=True)
    product = serializers.CharField(
        source="product.uid", default=None, required=False, allow_null=True
    )
    assignee = serializers.CharField(
        source="assignee.username", default=None, allow_null=True, read_only=True
    )
    opened_by = serializers.CharField(
        source="opened_by.username", default=None, allow_null=True, read_only=True
    )
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.HIGH)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id", "title", "description", "episode", "cause", "state", "severity", "asset",
            "product", "port", "slo", "assignee", "opened_by", "opened_at",
            "acknowledged_at", "resolved_at", "impact", "url",
        ]  # fmt: skip
        read_only_fields = [
            "episode", "cause", "state", "port", "slo", "opened_at", "acknowledged_at",
            "resolved_at", "impact",
        ]  # fmt: skip


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with its ``timeline`` (entries, oldest first)."""

    timeline = IncidentEntrySerializer(source="entries", many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline"]


class IncidentActionSerializer(serializers.Serializer):
    """Body of an incident action: ``note`` (resolve), ``text`` (comment), ``severity``
    and ``assignee`` (a username, empty to unassign) for update."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    assignee = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class SubscriptionSerializer(serializers.ModelSerializer):
    """``{id, target_kind, target_id, team (slug or null), event_types, muted,
    created_at}``; ``team`` on create subscribes a team the caller belongs to."""

    team = serializers.SlugRelatedField(
        slug_field="slug", read_only=False, required=False, allow_null=True,
        queryset=Subscription._meta.get_field("team").related_model.objects.all(),
    )  # fmt: skip
    target_kind = serializers.ChoiceField(choices=TargetKind.choices)
    event_types = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    class Meta:
        model = Subscription
        fields = ["id", "target_kind", "target_id", "team", "event_types", "muted", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # uniqueness: services.watch updates the existing row


class NotificationSerializer(serializers.ModelSerializer):
    """An in-app notification: ``{id, type, title, body, url, severity, incident,
    created_at, read_at, read}``."""

    type = serializers.CharField(source="event.type", read_only=True)
    title = serializers.CharField(source="event.title", read_only=True)
    body = serializers.CharField(source="event.body", read_only=True)
    url = serializers.CharField(source="event.url", read_only=True)
    severity = serializers.CharField(source="event.severity", read_only=True)
    incident = serializers.IntegerField(source="event.incident_id", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "type",
            "title",
            "body",
            "url",
            "severity",
            "incident",
            "created_at",
            "read_at",
            "read",
        ]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        """Whether it was read."""
        return obj.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    """Body of mark-read: ``ids`` (omit for all)."""

    # database ids: positive 64-bit integers (a larger number is a 400, not a 500)
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False
    )


class WebhookSerializer(serializers.ModelSerializer):
    """``{id, name, url, kind (json|slack|teams), secret, team (slug or null),
    event_types, enabled, created_at}``. ``secret`` is never returned: it reads
    ``"********"`` when set and ``""`` when not; sending the mask back keeps the stored
    secret (:mod:`notifications.hooksecrets`). 400s name the field and the reason."""

    secret = serializers.CharField(
        required=False, allow_blank=True, max_length=hooksecrets.MAX_LENGTH
    )
    team = serializers.SlugRelatedField(
        slug_field="slug", required=False, allow_null=True,
        queryset=Webhook._meta.get_field("team").related_model.objects.all(),
    )  # fmt: skip
    event_types = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    class Meta:
        model = Webhook
        fields = [
            "id",
            "name",
            "url",
            "kind",
            "secret",
            "team",
            "event_types",
            "enabled",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_url(self, value: str) -> str:
        """An http(s) URL whose host resolves to public addresses only (or is allowed by
        ``MESH_WEBHOOK_ALLOWED_HOSTS``); the 400 names the reason."""
        try:
            urlguard.check_url(value)
        except urlguard.UnsafeURL as exc:
            raise serializers.ValidationError(f"{value}: {exc}") from None
        return value

    def validate_secret(self, value: str) -> str:
        """The literal secret, or the mask when one is stored (kept by :meth:`update`)."""
        try:
            hooksecrets.check_input(value)
            if value == hooksecrets.MASK:
                hooksecrets.merge(value, self.instance.secret if self.instance else "")
        except hooksecrets.HookSecretError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def to_representation(self, instance):
        """The webhook with ``secret`` masked."""
        data = super().to_representation(instance)
        data["secret"] = hooksecrets.masked(instance.secret)
        return data

    def update(self, instance, validated_data):
        """Change the webhook; a masked ``secret`` keeps the stored one."""
        if validated_data.get("secret") == hooksecrets.MASK:
            validated_data.pop("secret")
        return super().update(instance, validated_data)


class DeliverySerializer(serializers.ModelSerializer):
    """A delivery log row: ``{id, event, type, channel, state, attempts, next_retry_at,
    last_status, last_response, last_error, created_at, sent_at}``."""

    type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "type",
            "channel",
            "state",
            "attempts",
            "next_retry_at",
            "last_status",
            "last_response",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields
