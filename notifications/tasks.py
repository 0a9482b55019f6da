"""Celery tasks of notifications: fan-out, senders, retries and the daily digest.

Beat entries (config/settings.py): ``notifications-retry`` every
``MESH_NOTIFY_RETRY_SECONDS`` (default 60) resends due deliveries; ``notifications-digest``
once a day sends the daily digests.
"""

from celery import shared_task

from notifications import services
from notifications.models import Event


@shared_task(name="notifications.tasks.fan_out")
def fan_out(event_id: int) -> dict:
    """Write and queue the deliveries of one event; returns the counts (or ``{}`` when
    the event is gone)."""
    event = Event.objects.filter(pk=event_id).first()
    return services.fan_out(event) if event else {}


@shared_task(name="notifications.tasks.send_emails")
def send_emails(delivery_ids: list[int]) -> dict:
    """Send a batch of e-mail deliveries over one SMTP connection."""
    return services.send_emails(delivery_ids)


@shared_task(name="notifications.tasks.send_webhook")
def send_webhook(delivery_id: int) -> str:
    """POST one webhook delivery; returns its state."""
    return services.send_webhook(delivery_id)


@shared_task(name="notifications.tasks.retry_due")
def retry_due() -> dict:
    """Resend failed deliveries whose backoff has passed and lost pending ones."""
    return services.retry_due()


@shared_task(name="notifications.tasks.send_digests")
def send_digests() -> int:
    """Send the daily digest e-mails; returns how many."""
    return services.send_digests()
