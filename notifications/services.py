"""The one place that writes notifications: events, fan-out, deliveries, subscriptions.

Used by the receivers, the UI, the API, the admin and the Celery tasks.

* :func:`publish` stores an :class:`~notifications.models.Event` once per key and, after
  commit, queues :func:`notifications.tasks.fan_out`.
* :func:`fan_out` resolves the recipients (:mod:`notifications.recipients`) and writes
  their deliveries in batches of ``MESH_NOTIFY_BATCH`` users with a fixed number of
  queries per batch (users, preferences, inbox insert, e-mail insert, e-mail ids), then
  queues one e-mail task per batch and one task per webhook delivery.
* Senders claim a delivery with a conditional UPDATE (``pending``/``retrying`` →
  ``sending``), so a delivery is sent at most once even when tasks run twice; a failed
  attempt goes to ``retrying`` with exponential backoff (``MESH_NOTIFY_BACKOFF_SECONDS``
  × 2^(attempt-1)) and, after ``MESH_NOTIFY_MAX_ATTEMPTS``, to ``failed`` with the last
  error and response kept. :func:`retry_due` (beat) resends what is due, so nothing is
  lost when a channel or the broker is down.
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from notifications import channels, recipients
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    EmailMode,
    Event,
    EventType,
    Preference,
    Subscription,
    TargetKind,
    Webhook,
)

log = logging.getLogger(__name__)
CLAIMABLE = (DeliveryState.PENDING, DeliveryState.RETRYING)
STUCK_AFTER = dt.timedelta(minutes=15)
LOST_AFTER = dt.timedelta(minutes=5)


def _queue(task: str, *args) -> None:
    """Queue a Celery task by name (runs in-process in embedded mode)."""
    current_app.tasks[task].delay(*args)


def _after_commit(task: str, *args) -> None:
    """Queue ``task`` once the transaction commits (robust: a failing queue is logged;
    the row it was about stays ``pending`` and :func:`retry_due` picks it up)."""
    transaction.on_commit(lambda: _queue(task, *args), robust=True)


def publish(
    type: str,
    key: str,
    title: str,
    *,
    body: str = "",
    url: str = "",
    severity: str = "info",
    targets=(),
    users=(),
    incident=None,
    data: dict | None = None,
) -> Event | None:
    """Store an event (once per ``key``: None when it exists already) about ``targets``
    (``(kind, id)`` pairs, the first is the subject) addressed also to ``users`` (ids),
    and fan it out after the transaction commits. Raises ValueError for an unknown type."""
    if type not in EventType.values:
        raise ValueError(f"unknown event type {type!r}")
    targets = [(str(k), int(i)) for k, i in targets if i is not None]
    subject = targets[0] if targets else ("", None)
    try:
        with transaction.atomic():
            event = Event.objects.create(
                key=key[:255],
                type=type,
                title=title[:300],
                body=body,
                url=url,
                severity=severity,
                target_kind=subject[0],
                target_id=subject[1],
                incident=incident,
                data={**(data or {}), "targets": targets, "users": sorted(set(users))},
            )
    except IntegrityError:
        return None
    _after_commit("notifications.tasks.fan_out", event.pk)
    return event


def _told_by(event_id) -> recipients.Recipients:
    """The recipients of the event ``event_id`` that another event collapses into
    (``data["collapse_into"]``: an SLO breach into the ``incident_opened`` of its
    episode): they get that event by e-mail and webhook, and the collapsed one only in
    the inbox. Empty without ``event_id`` or when the event is gone."""
    other = Event.objects.filter(pk=event_id).first() if event_id else None
    if other is None:
        return recipients.Recipients()
    data = other.data or {}
    return recipients.resolve(other.type, data.get("targets", []), data.get("users", []))


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fan_out(event: Event) -> dict:
    """Write the deliveries of ``event`` (inbox for every recipient, e-mail for those with
    an address whose mode is not ``off``: ``daily`` ones wait as ``digest``; one per
    webhook) and queue the senders. An event with ``data["collapse_into"]`` (an event
    id) is neither e-mailed nor posted to the recipients of that event (:func:`_told_by`):
    one push notification per recipient and episode start. Idempotent (unique deliveries, claimed sends).
    Returns counts ``{"users", "inbox", "email", "webhooks", "batches"}``."""
    data = event.data or {}
    found = recipients.resolve(event.type, data.get("targets", []), data.get("users", []))
    told = _told_by(data.get("collapse_into"))
    users = sorted(found.users)
    size = int(settings.MESH_NOTIFY_BATCH)
    counts = {"users": len(users), "inbox": 0, "email": 0, "webhooks": 0, "batches": 0}
    now = timezone.now()
    User = get_user_model()
    for batch in _batches(users, size):
        counts["batches"] += 1
        emails = dict(
            User.objects.filter(id__in=batch, is_active=True)
            .exclude(email="")
            .values_list("id", "email")
        )
        modes = dict(
            Preference.objects.filter(user_id__in=batch).values_list("user_id", "email_mode")
        )
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    channel=Channel.INBOX,
                    recipient=f"user:{u}",
                    user_id=u,
                    state=DeliveryState.SENT,
                    sent_at=now,
                    created_at=now,
                )
                for u in batch
            ],
            ignore_conflicts=True,
        )
        counts["inbox"] += len(batch)
        mailed = [
            u
            for u in batch
            if u in emails and modes.get(u) != EmailMode.OFF and u not in told.users
        ]
        if not mailed:
            continue
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    channel=Channel.EMAIL,
                    recipient=f"user:{u}",
                    user_id=u,
                    state=DeliveryState.DIGEST
                    if modes.get(u) == EmailMode.DAILY
                    else DeliveryState.PENDING,
                    created_at=now,
                )
                for u in mailed
            ],
            ignore_conflicts=True,
        )
        counts["email"] += len(mailed)
        ids = list(
            Delivery.objects.filter(
                event=event, channel=Channel.EMAIL, user_id__in=mailed, state=DeliveryState.PENDING
            ).values_list("id", flat=True)
        )
        if ids:
            _after_commit("notifications.tasks.send_emails", ids)
    hooks = sorted(found.webhooks - told.webhooks)
    if hooks:
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    channel=Channel.WEBHOOK,
                    recipient=f"webhook:{h}",
                    webhook_id=h,
                    created_at=now,
                )
                for h in hooks
            ],
            ignore_conflicts=True,
        )
        counts["webhooks"] = len(hooks)
        for delivery_id in Delivery.objects.filter(
            event=event, channel=Channel.WEBHOOK, state=DeliveryState.PENDING
        ).values_list("id", flat=True):
            _after_commit("notifications.tasks.send_webhook", delivery_id)
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    return counts


def _claim(ids) -> list[int]:
    """Move claimable deliveries among ``ids`` to ``sending`` under a fresh claim token;
    returns the ids this caller claimed. The UPDATE is conditional on the state, so a
    concurrent sender never claims the same row. Two queries whatever the batch size."""
    token = uuid.uuid4().hex
    Delivery.objects.filter(pk__in=list(ids), state__in=CLAIMABLE).update(
        state=DeliveryState.SENDING, attempts=F("attempts") + 1, claim=token
    )
    return list(Delivery.objects.filter(claim=token).values_list("id", flat=True))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: ``MESH_NOTIFY_BACKOFF_SECONDS`` ×
    2^(attempts-1), at most 6 hours."""
    base = float(settings.MESH_NOTIFY_BACKOFF_SECONDS)
    return dt.timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 6 * 3600))


def _failed(delivery: Delivery, error: str, status=None, response: str = "") -> None:
    """Record a failed attempt: ``retrying`` with the next time, or ``failed`` after the
    last attempt."""
    last = delivery.attempts >= int(settings.MESH_NOTIFY_MAX_ATTEMPTS)
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED if last else DeliveryState.RETRYING,
        next_retry_at=None if last else timezone.now() + backoff(delivery.attempts),
        last_error=error[:2000],
        last_status=status,
        last_response=response[:2000],
    )


def send_emails(ids) -> dict:
    """Send the e-mail deliveries ``ids`` (one event each) over one SMTP connection; a
    delivery already sent or being sent is skipped. Returns ``{"sent", "failed"}``."""
    claimed = _claim(ids)
    result = {"sent": 0, "failed": 0}
    if not claimed:
        return result
    rows = list(
        Delivery.objects.filter(pk__in=claimed).select_related("event", "user").order_by("id")
    )
    sent = []
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:  # SMTP down: every claimed delivery waits for a retry
        for row in rows:
            _failed(row, f"{type(exc).__name__}: {exc}")
        result["failed"] = len(rows)
        return result
    try:
        for row in rows:
            try:
                connection.send_messages([channels.email_message(row.event, row.user.email)])
                sent.append(row.pk)
            except Exception as exc:  # one bad address must not stop the batch
                _failed(row, f"{type(exc).__name__}: {exc}")
                result["failed"] += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the messages are already accepted
            log.warning("closing the SMTP connection failed", exc_info=True)
    Delivery.objects.filter(pk__in=sent).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), last_error="", last_response="250 OK"
    )
    result["sent"] = len(sent)
    return result


def send_webhook(delivery_id: int) -> str:
    """POST one webhook delivery (claimed first; skipped if already sent); returns its new
    state. The endpoint's status and body are kept as the last response."""
    if not _claim([delivery_id]):
        return "skipped"
    row = Delivery.objects.select_related("event", "webhook").get(pk=delivery_id)
    answer = channels.post(row.webhook, row.event, row.pk)
    if answer.ok:
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.SENT,
            sent_at=timezone.now(),
            last_status=answer.status,
            last_response=answer.body[:2000],
            last_error="",
        )
        return DeliveryState.SENT
    if answer.final:
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.FAILED,
            next_retry_at=None,
            last_error=answer.error[:2000],
            last_status=answer.status,
            last_response=answer.body[:2000],
        )
        return DeliveryState.FAILED
    _failed(row, answer.error, answer.status, answer.body)
    return Delivery.objects.get(pk=row.pk).state


def retry_due(now: dt.datetime | None = None) -> dict:
    """Resend deliveries whose retry time has come and pending ones whose task was lost
    (older than 5 minutes); mark ``sending`` ones older than 15 minutes ``failed``
    (interrupted mid-send: not resent, at most once). Returns counts."""
    now = now or timezone.now()
    stuck = Delivery.objects.filter(
        state=DeliveryState.SENDING, created_at__lt=now - STUCK_AFTER
    ).update(state=DeliveryState.FAILED, last_error="interrupted while sending; not resent")
    due = list(
        Delivery.objects.filter(state=DeliveryState.RETRYING, next_retry_at__lte=now).values_list(
            "id", "channel"
        )
    ) + list(
        Delivery.objects.filter(
            state=DeliveryState.PENDING, created_at__lt=now - LOST_AFTER
        ).values_list("id", "channel")
    )
    emails = [pk for pk, channel in due if channel == Channel.EMAIL]
    for batch in _batches(emails, int(settings.MESH_NOTIFY_BATCH)):
        send_emails(batch)
    for pk, channel in due:
        if channel == Channel.WEBHOOK:
            send_webhook(pk)
    return {"retried": len(due), "stuck": stuck}


def send_digests(now: dt.datetime | None = None) -> int:
    """Send each user one e-mail listing their ``digest`` deliveries, mark them sent;
    returns how many e-mails went out (a failing send leaves them for tomorrow)."""
    rows = list(
        Delivery.objects.filter(state=DeliveryState.DIGEST, channel=Channel.EMAIL)
        .select_related("event", "user")
        .order_by("user_id", "event__created_at", "id")
    )
    by_user: dict[int, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    sent = 0
    with get_connection(fail_silently=False) as connection:
        for items in by_user.values():
            user = items[0].user
            try:
                connection.send_messages(
                    [channels.digest_message([d.event for d in items], user.email)]
                )
            except Exception as exc:  # noqa: BLE001 - keep them for the next digest
                log.warning("digest to user %s failed: %s", user.pk, exc)
                continue
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
                state=DeliveryState.SENT, sent_at=now or timezone.now(), attempts=1
            )
            sent += 1
    return sent


# -- subscriptions ----------------------------------------------------------------------


def _check_target(kind: str, target_id) -> int:
    """``target_id`` as an int naming an existing row of ``kind``; ValidationError else."""
    from catalog.models import Asset, Source
    from products.models import DataProduct, Domain, OutputPort

    models = {
        TargetKind.ASSET: Asset,
        TargetKind.PRODUCT: DataProduct,
        TargetKind.PORT: OutputPort,
        TargetKind.DOMAIN: Domain,
        TargetKind.SOURCE: Source,
    }
    if kind not in models:
        raise ValidationError(
            {"target_kind": [f"unknown kind {kind!r}; use one of {list(models)}"]}
        )
    try:
        pk = int(target_id)
    except (TypeError, ValueError):
        raise ValidationError({"target_id": ["must be an integer id"]}) from None
    if not models[kind].objects.filter(pk=pk).exists():
        raise ValidationError({"target_id": [f"no {kind} with id {pk}"]})
    return pk


def _check_types(event_types) -> list[str]:
    bad = [t for t in event_types or [] if t not in EventType.values]
    if bad:
        raise ValidationError({"event_types": [f"unknown event types: {', '.join(map(str, bad))}"]})
    return list(event_types or [])


def watch(user, kind: str, target_id, *, team=None, event_types=(), muted=False) -> Subscription:
    """Subscribe ``user`` (or ``team``, when given; the user must be in it or staff) to a
    target, or update the existing subscription (``muted`` and ``event_types``).
    ValidationError for a bad kind, id or event type; PermissionDenied for a team the user
    is not in."""
    from django.core.exceptions import PermissionDenied

    from products.permissions import in_team, is_admin

    pk = _check_target(kind, target_id)
    types = _check_types(event_types)
    if team is not None and not (is_admin(user) or in_team(user, team)):
        raise PermissionDenied("you are not a member of this team")
    owner = {"team": team} if team is not None else {"user": user}
    sub, _ = Subscription.objects.update_or_create(
        **owner, target_kind=kind, target_id=pk, defaults={"event_types": types, "muted": muted}
    )
    return sub


def unwatch(user, kind: str, target_id, *, team=None) -> int:
    """Remove ``user``'s (or ``team``'s) subscription to a target; returns rows removed."""
    owner = {"team": team} if team is not None else {"user": user}
    return Subscription.objects.filter(**owner, target_kind=kind, target_id=target_id).delete()[0]


def mute(user, kind: str, target_id, muted: bool = True) -> Subscription:
    """Mute (or unmute) a target for ``user``: silences an explicit or automatic
    subscription. Unmuting an automatic one removes the muted row."""
    pk = _check_target(kind, target_id)
    sub, _ = Subscription.objects.get_or_create(
        user=user, target_kind=kind, target_id=pk, defaults={"muted": muted}
    )
    if sub.muted != muted:
        sub.muted = muted
        sub.save(update_fields=["muted"])
    return sub


def is_watching(user, kind: str, target_id) -> Subscription | None:
    """``user``'s own subscription row on a target, or None (one query)."""
    if not (user and user.is_authenticated):
        return None
    return Subscription.objects.filter(user=user, target_kind=kind, target_id=target_id).first()


def set_email_mode(user, mode: str) -> Preference:
    """Store ``user``'s e-mail mode (``immediate``, ``daily``, ``off``); ValidationError
    for another value."""
    if mode not in EmailMode.values:
        raise ValidationError({"email_mode": [f"use one of {', '.join(EmailMode.values)}"]})
    pref, _ = Preference.objects.update_or_create(user=user, defaults={"email_mode": mode})
    return pref


def email_mode(user) -> str:
    """``user``'s e-mail mode (``immediate`` without a stored preference)."""
    pref = Preference.objects.filter(user=user).values_list("email_mode", flat=True).first()
    return pref or EmailMode.IMMEDIATE


# -- inbox ------------------------------------------------------------------------------


def inbox(user):
    """``user``'s in-app notifications, newest first (a queryset with the event)."""
    return Delivery.objects.filter(user=user, channel=Channel.INBOX).select_related("event")


def unread_count(user) -> int:
    """How many of ``user``'s in-app notifications are unread (one query)."""
    if not (user and user.is_authenticated):
        return 0
    return Delivery.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).count()


def mark_read(user, ids=None) -> int:
    """Mark ``user``'s notifications ``ids`` (all when None) read; returns how many."""
    rows = Delivery.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


def webhook_log(webhook: Webhook, limit: int = 50):
    """The webhook's latest deliveries (newest first) with their last responses."""
    return webhook.deliveries.select_related("event").order_by("-created_at", "-id")[:limit]
