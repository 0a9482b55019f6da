"""The audit trail: one append-only, hash-chained row per security-relevant event.

Each :class:`AuditEntry` holds ``seq`` (its position in the chain, 1, 2, 3... with no
gap), the time, the actor (user id and username, copied so deleting a user never
rewrites the log), the action (``access.requested``, ``team.membership_changed``...),
the subject (``app.model``, primary key and label), ``before``/``after``/``detail``
(JSON) and ``hash`` = SHA-256 of the entry's canonical JSON including ``prev_hash``, the
previous entry's hash. :class:`AuditHead` keeps the last ``seq`` and hash so removing the
newest rows is detected too. Rows are never updated or deleted: the model refuses it,
the admin and API have no such path, and on PostgreSQL a trigger refuses UPDATE and
DELETE on the table (migration 0002).
"""

from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit entry."""


class AuditQuerySet(models.QuerySet):
    """A queryset with no bulk update or delete."""

    def update(self, **kwargs):
        """Refused: the audit trail is append-only."""
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self):
        """Refused: the audit trail is append-only."""
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """One event of the audit trail (see the module docstring for the fields)."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_name = models.CharField(max_length=150, blank=True, default="", db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=100, blank=True, default="")
    subject_id = models.CharField(max_length=100, blank=True, default="")
    subject_label = models.CharField(max_length=300, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.subject_label}"

    def save(self, *args, **kwargs):
        """Insert only: saving an entry that already exists raises AppendOnlyError."""
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be updated")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        """Refused: raises AppendOnlyError."""
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditHead(models.Model):
    """The newest entry of the chain (one row, ``id`` 1): ``seq`` and ``hash``."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True, default="")
