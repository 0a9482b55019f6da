"""The one write path of the audit trail: :func:`record`.

Call it inside the transaction of the change it records, so both commit or neither
does. Appending takes a lock on the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite serialises writers already), so concurrent writers never fork the chain.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from audit.chain import entry_hash
from audit.models import AuditEntry, AuditHead


def _json(value):
    """``value`` as plain JSON types (dates, decimals, UUIDs become strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _subject(subject) -> tuple[str, str, str]:
    """``(type, id, label)`` of a model instance, a ``(type, id, label)`` tuple or a string."""
    if isinstance(subject, models.Model):
        meta = subject._meta
        return f"{meta.app_label}.{meta.model_name}", str(subject.pk), str(subject)[:300]
    if isinstance(subject, tuple):
        kind, key, label = (list(subject) + ["", "", ""])[:3]
        return str(kind)[:100], str(key)[:100], str(label)[:300]
    return "", "", str(subject or "")[:300]


def _actor(actor) -> tuple[int | None, str]:
    """``(user id, username)``; ``(None, "system")`` for None/anonymous; a string is a name."""
    if actor is None or (hasattr(actor, "is_authenticated") and not actor.is_authenticated):
        return None, "system"
    if isinstance(actor, str):
        return None, actor[:150]
    return actor.pk, actor.get_username()[:150]


def record(action: str, actor, subject, before=None, after=None, detail=None) -> AuditEntry:
    """Append one entry and return it.

    ``action``: a dotted verb (``access.approved``); ``actor``: a user, a name or None
    (the system); ``subject``: a model instance, ``(type, id, label)`` or a label;
    ``before``/``after``/``detail``: JSON-serialisable values (datetimes, decimals are
    stored as strings). Runs in (or opens) a transaction.
    """
    actor_id, actor_name = _actor(actor)
    kind, key, label = _subject(subject)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        values = {
            "seq": head.seq + 1,
            "at": timezone.now(),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action[:64],
            "subject_type": kind,
            "subject_id": key,
            "subject_label": label,
            "before": _json(before),
            "after": _json(after),
            "detail": _json(detail),
            "prev_hash": head.hash,
        }
        values["hash"] = entry_hash(values)
        entry = AuditEntry.objects.create(**values)
        AuditHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


def entries_for(subject) -> models.QuerySet:
    """The entries about ``subject`` (a model instance), oldest first."""
    kind, key, _ = _subject(subject)
    return AuditEntry.objects.filter(subject_type=kind, subject_id=key).order_by("seq")
