"""Subscriptions, notification events and their deliveries, webhooks and incidents.

* :class:`Subscription`: a user or a team watches an asset, product, output port, domain
  or source (``target_kind`` + ``target_id``). Product owners and consuming teams are
  subscribed to a product's output ports automatically (computed, never stored,
  :mod:`notifications.recipients`); a row with ``muted`` silences a watch, explicit or
  automatic.
* :class:`Event`: one thing that happened (SLO breached, schema changed, incident
  opened, ...), stored once per ``key`` (the dedupe key).
* :class:`Delivery`: the event for one recipient on one channel (``inbox``, ``email``,
  ``webhook``); unique per (event, channel, recipient), so an event reaches a recipient
  at most once per channel. The in-app inbox is the ``inbox`` deliveries.
* :class:`Webhook`: a Slack, Teams or generic JSON endpoint of a user, a team, or (no
  owner) of the whole catalog, signed with HMAC-SHA256.
* :class:`Incident` and :class:`IncidentEntry`: an episode of trouble (open →
  acknowledged → resolved) with its timeline.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Asset
from notifications import hooksecrets
from products.models import SLO, DataProduct, OutputPort, Team

USER = settings.AUTH_USER_MODEL


class TargetKind(models.TextChoices):
    """What a subscription watches (``target_id`` is that row's primary key)."""

    ASSET = "asset"
    PRODUCT = "product"
    PORT = "port"
    DOMAIN = "domain"
    SOURCE = "source"


class EventType(models.TextChoices):
    """The kinds of events subscribers can be told about."""

    SCHEMA_CHANGED = "schema_changed"
    SLO_AT_RISK = "slo_at_risk"
    SLO_BREACHED = "slo_breached"
    SLO_RECOVERED = "slo_recovered"
    QUALITY_FAILED = "quality_failed"
    HARVEST_FAILED = "harvest_failed"
    INCIDENT_OPENED = "incident_opened"
    INCIDENT_UPDATED = "incident_updated"
    INCIDENT_RESOLVED = "incident_resolved"
    DEPRECATION = "deprecation"
    ACCESS_REQUEST = "access_request"


class Subscription(models.Model):
    """A user or a team (exactly one) watching one target; ``muted`` silences it (a muted
    row also silences an automatic subscription to the same target). ``event_types`` is
    a list of :class:`EventType` values, empty for all."""

    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    target_kind = models.CharField(max_length=16, choices=TargetKind.choices)
    target_id = models.BigIntegerField()
    event_types = models.JSONField(default=list, blank=True)
    muted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["target_kind", "target_id", "id"]
        indexes = [models.Index(fields=["target_kind", "target_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="subscription_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["user", "target_kind", "target_id"],
                condition=Q(user__isnull=False),
                name="subscription_user_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "target_kind", "target_id"],
                condition=Q(team__isnull=False),
                name="subscription_team_unique",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"team {self.team_id}"
        return f"{who} watches {self.target_kind} {self.target_id}"


class EmailMode(models.TextChoices):
    """How a user gets e-mail: each event at once, one daily digest, or none."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    OFF = "off"


class Preference(models.Model):
    """A user's notification settings (defaults apply without a row)."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="notify_preference")
    email_mode = models.CharField(
        max_length=16, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )


class Event(models.Model):
    """One event; ``key`` makes it idempotent (the same key is stored once). ``url`` is
    a site path to the subject; ``data`` extra JSON (e.g. the schema diff)."""

    key = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=32, choices=EventType.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=1000, blank=True, default="")
    severity = models.CharField(max_length=16, blank=True, default="info")
    target_kind = models.CharField(max_length=16, blank=True, default="")
    target_id = models.BigIntegerField(null=True, blank=True)
    incident = models.ForeignKey(
        "Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    """Where a delivery goes."""

    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryState(models.TextChoices):
    """``pending`` → ``sending`` → ``sent``; a failed attempt → ``retrying`` (with
    ``next_retry_at``) → ... → ``failed`` after the last attempt; ``digest`` waits for
    the daily digest; inbox deliveries are ``sent`` at once."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    DIGEST = "digest"


class Webhook(models.Model):
    """An HTTP endpoint told about events: of a ``user``, a ``team`` (it receives what the
    owner receives) or, with neither, of the whole catalog (every event whose type is in
    ``event_types``; empty: all). ``kind`` picks the payload: ``slack``, ``teams`` or
    ``json``. ``secret`` signs the body (header ``X-Mesh-Signature: sha256=<hex>``); it is
    sealed with ``MESH_SECRETS_KEYS`` on every save (:mod:`notifications.hooksecrets`)."""

    KINDS = [("json", "Generic JSON"), ("slack", "Slack"), ("teams", "Microsoft Teams")]

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=1000)
    kind = models.CharField(max_length=16, choices=KINDS, default="json")
    secret = models.CharField(max_length=1000, blank=True, default="")
    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks"
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks"
    )
    event_types = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        """Save with the secret sealed (``${enc:...}`` when ``MESH_SECRETS_KEYS`` is set)."""
        self.secret = hooksecrets.seal(self.secret)
        if kwargs.get("update_fields") is not None and "secret" not in kwargs["update_fields"]:
            kwargs["update_fields"] = [*kwargs["update_fields"], "secret"]
        super().save(*args, **kwargs)


class Delivery(models.Model):
    """One event to one recipient on one channel. ``recipient`` is ``user:<id>`` or
    ``webhook:<id>``; unique with event and channel (at most once). ``last_status`` and
    ``last_response`` keep the endpoint's last answer (HTTP status, first 2,000
    characters; SMTP reply for e-mail)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.CharField(max_length=64)
    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True, default="", db_index=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    last_status = models.IntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "channel", "read_at"]),
            models.Index(fields=["state", "next_retry_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "recipient"], name="delivery_once_per_channel"
            )
        ]


class IncidentState(models.TextChoices):
    """open → acknowledged → resolved (resolved may be reopened by hand)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(models.TextChoices):
    """Incident severity, most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Incident(models.Model):
    """An episode of trouble on an asset or product. ``episode`` names the episode
    (``slo:<id>``, ``quality:<asset id>:<check>``, ``schema:<port id>``, ``manual:<uuid>``);
    at most one unresolved incident per episode (a continuing breach opens no new one).
    ``cause`` is ``slo_breach``, ``quality_failed``, ``schema_breaking`` or ``manual``.
    ``impact`` is the impact analysis at opening: ``{"assets": [{urn, name, depth,
    owners}], "products": [{uid, name, owner_team}], "owners": [names], "users": [ids]}``."""

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    episode = models.CharField(max_length=255)
    cause = models.CharField(max_length=32, default="manual")
    state = models.CharField(
        max_length=16, choices=IncidentState.choices, default=IncidentState.OPEN
    )
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.HIGH)
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    product = models.ForeignKey(
        DataProduct, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    port = models.ForeignKey(
        OutputPort, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    slo = models.ForeignKey(
        SLO, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    assignee = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_incidents"
    )
    opened_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    impact = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["state", "asset"]),
            models.Index(fields=["state", "product"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=~Q(state="resolved"),
                name="incident_one_per_episode",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        """``/incidents/<id>/``."""
        return f"/incidents/{self.pk}/"


class IncidentEntry(models.Model):
    """One line of an incident's timeline: ``kind`` is ``opened``, ``state``,
    ``assigned``, ``severity``, ``comment`` or ``event`` (e.g. the breach continues)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=16, default="comment")
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]
