"""Access requests, their approvals and comments, and each port's access policy.

One :class:`AccessRequest` row carries a request through its whole life — the request,
its approval steps, and the grant it becomes — with one state machine
(:mod:`access.services`)::

    requested → approved | denied | withdrawn
    approved → provisioning → active → expired | revoked
    provisioning → provisioning_failed → (retry) provisioning

A grant is a request in a grant state (``approved`` and after). ``end_date`` is the
last day of access (inclusive, UTC); ``principal`` the database role or account the
grant is for (the consumer's username when empty). ``warehouse_revoked`` is False while a
revoked or expired grant still has to be revoked in the warehouse (the expiry task
retries until it is True).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from products.models import OutputPort


class State(models.TextChoices):
    """The states of a request/grant (see the module docstring)."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    PROVISIONING = "provisioning"
    PROVISIONING_FAILED = "provisioning_failed"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


GRANT_STATES = (
    State.APPROVED,
    State.PROVISIONING,
    State.PROVISIONING_FAILED,
    State.ACTIVE,
    State.EXPIRED,
    State.REVOKED,
)
LIVE_GRANT_STATES = (State.APPROVED, State.PROVISIONING, State.PROVISIONING_FAILED, State.ACTIVE)


class Level(models.TextChoices):
    """Access levels: read (SELECT) or write (SELECT, INSERT, UPDATE, DELETE)."""

    READ = "read"
    WRITE = "write"


class PortAccessPolicy(models.Model):
    """How access to an output port is granted (no row: the defaults).

    ``steps``: the approval steps in order, each ``{"name": str, "approvers": kind}``
    where kind is ``team`` (owning team owners/stewards, then domain owners, then
    staff; the default single step) or ``domain:<role>`` (members of the product
    domain's owner team with that role, then staff), e.g. a data-protection step
    ``{"name": "data protection", "approvers": "domain:data-protection"}`` for ports with
    personal data. ``personal_data`` adds that step when ``steps`` is empty.
    ``allow_write``: whether write access may be requested. ``provisioner``: a key of
    ``MESH_ACCESS_PROVISIONERS`` (empty: ``MESH_ACCESS_DEFAULT_PROVISIONER``).
    ``grant_objects``: ``["schema.table", ...]`` granted (empty: the port's asset).
    """

    port = models.OneToOneField(OutputPort, on_delete=models.CASCADE, related_name="access_policy")
    steps = models.JSONField(default=list, blank=True)
    personal_data = models.BooleanField(default=False)
    allow_write = models.BooleanField(default=False)
    provisioner = models.CharField(max_length=64, blank=True, default="")
    grant_objects = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "port access policies"

    def __str__(self) -> str:
        return f"access policy of port {self.port_id}"


class AccessRequest(models.Model):
    """A consumer's request for access to a port, and the grant it becomes."""

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    port = models.ForeignKey(OutputPort, on_delete=models.CASCADE, related_name="access_requests")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.READ)
    purpose = models.TextField()
    end_date = models.DateField()
    principal = models.CharField(max_length=128, blank=True, default="")
    state = models.CharField(max_length=24, choices=State.choices, default=State.REQUESTED)
    step = models.PositiveSmallIntegerField(default=0)
    step_kind = models.CharField(max_length=80, default="team")
    renews = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    provisioner = models.CharField(max_length=64, blank=True, default="")
    statements = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    next_retry_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    warehouse_revoked = models.BooleanField(default=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "end_date"]),
            models.Index(fields=["consumer", "state"]),
            models.Index(fields=["port", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "port", "level"],
                condition=models.Q(state="requested"),
                name="access_one_open_request",
            )
        ]

    def __str__(self) -> str:
        return f"access request {self.pk} ({self.level} on port {self.port_id}, {self.state})"

    @property
    def role(self) -> str:
        """The database role or account the grant is for (principal or username)."""
        return self.principal or self.consumer.get_username()


class AccessApproval(models.Model):
    """One approval of one step: who, when, and the end date they allowed."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    step = models.PositiveSmallIntegerField()
    step_name = models.CharField(max_length=100, blank=True, default="")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    end_date = models.DateField()

    class Meta:
        ordering = ["step", "id"]


class AccessComment(models.Model):
    """A comment on a request by the consumer or an approver."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
