"""The channels' wire formats: e-mail messages and webhook payloads, signed and posted.

Webhook payloads (``Webhook.kind``):

* ``json``: ``{"id", "type", "title", "body", "url", "severity", "target": {"kind",
  "id"}, "incident": id|null, "created_at", "data"}``;
* ``slack``: a Slack incoming-webhook message ``{"text", "blocks": [section, context]}``
  (mrkdwn, link to the subject);
* ``teams``: an Office 365 connector ``MessageCard`` (``@type``, ``summary``, ``title``,
  ``text``, ``themeColor``, ``potentialAction`` OpenUri).

Every POST carries ``Content-Type: application/json``, ``X-Mesh-Event`` (the type),
``X-Mesh-Delivery`` (the delivery id, stable across retries: receivers can dedupe) and,
when the webhook has a secret, ``X-Mesh-Signature: sha256=<hex HMAC-SHA256 of the raw
body with the secret>`` (the GitHub convention).
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage

from notifications import hooksecrets, urlguard
from notifications.models import Event, Webhook

SEVERITY_COLORS = {
    "critical": "B3261E",
    "high": "D9480F",
    "medium": "E8A317",
    "low": "556074",
    "info": "2F6FEB",
}


def absolute(url: str) -> str:
    """A site path as an absolute URL under ``MESH_BASE_URL`` (absolute URLs unchanged)."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.MESH_BASE_URL.rstrip("/") + "/" + url.lstrip("/")


def email_message(event: Event, to: str) -> EmailMessage:
    """The plain-text e-mail of one event for address ``to``."""
    lines = (
        [event.title, "", event.body, "", f"Open: {absolute(event.url)}"]
        if event.body
        else [
            event.title,
            "",
            f"Open: {absolute(event.url)}",
        ]
    )
    lines += ["", "You get this because you watch it or own it in Mesh Catalog."]
    return EmailMessage(
        subject=f"[Mesh Catalog] {event.title}"[:250],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-Mesh-Event": event.type},
    )


def digest_message(events: list[Event], to: str) -> EmailMessage:
    """One e-mail listing ``events`` (oldest first) for the daily digest."""
    lines = [f"{len(events)} notification(s) from Mesh Catalog:", ""]
    for event in events:
        lines.append(f"- {event.created_at:%Y-%m-%d %H:%M} UTC  {event.title}")
        if event.url:
            lines.append(f"  {absolute(event.url)}")
    return EmailMessage(
        subject=f"[Mesh Catalog] Daily digest: {len(events)} notification(s)",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )


def payload(event: Event, kind: str) -> dict:
    """The JSON body of ``event`` for a webhook of ``kind`` (see the module docstring)."""
    link = absolute(event.url)
    if kind == "slack":
        text = f"*{event.title}*" + (f"\n{event.body}" if event.body else "")
        if link:
            text += f"\n<{link}|Open in Mesh Catalog>"
        return {
            "text": f"{event.title} {link}".strip(),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"{event.type} · severity {event.severity}"}
                    ],
                },
            ],
        }
    if kind == "teams":
        card = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": event.title,
            "title": event.title,
            "text": event.body or event.title,
            "themeColor": SEVERITY_COLORS.get(event.severity, SEVERITY_COLORS["info"]),
        }
        if link:
            card["potentialAction"] = [
                {
                    "@type": "OpenUri",
                    "name": "Open in Mesh Catalog",
                    "targets": [{"os": "default", "uri": link}],
                }
            ]
        return card
    return {
        "id": event.pk,
        "type": event.type,
        "title": event.title,
        "body": event.body,
        "url": link,
        "severity": event.severity,
        "target": {"kind": event.target_kind, "id": event.target_id},
        "incident": event.incident_id,
        "created_at": event.created_at.isoformat(),
        "data": event.data,
    }


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` keyed with ``secret`` (UTF-8)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class PostResult:
    """The endpoint's answer: ``ok`` for a 2xx, ``status`` (None when no answer), the
    first 2,000 characters of the body, and the error text when it failed."""

    ok: bool
    status: int | None
    body: str
    error: str
    final: bool = False


def post(webhook: Webhook, event: Event, delivery_id: int) -> PostResult:
    """POST ``event`` to ``webhook`` once (timeout ``MESH_WEBHOOK_TIMEOUT`` seconds);
    never raises for network or HTTP errors (they are the result's ``error``). A result
    with ``final`` must not be retried (the secret cannot be decrypted, or the URL reaches
    an address :mod:`notifications.urlguard` refuses: ``last_error`` = ``refused: ...``)."""
    body = json.dumps(payload(event, webhook.kind), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mesh-catalog-webhooks/1",
        "X-Mesh-Event": event.type,
        "X-Mesh-Delivery": str(delivery_id),
    }
    if webhook.secret:
        try:
            secret = hooksecrets.reveal(webhook.secret)
        except hooksecrets.HookSecretError as exc:
            return PostResult(False, None, "", f"not sent: {exc}", final=True)
        headers["X-Mesh-Signature"] = signature(secret, body)
    try:
        urlguard.check_url(webhook.url)  # again: DNS may have changed since the save
    except urlguard.HostNotFound:
        pass  # a network error like any other: the POST below fails and is retried
    except urlguard.UnsafeURL as exc:
        return PostResult(False, None, "", f"refused: {exc}", final=True)
    request = urllib.request.Request(webhook.url, data=body, headers=headers, method="POST")
    try:
        with urlguard.opener().open(request, timeout=settings.MESH_WEBHOOK_TIMEOUT) as resp:
            text = resp.read(2000).decode("utf-8", "replace")
            return PostResult(200 <= resp.status < 300, resp.status, text, "")
    except urllib.error.HTTPError as exc:
        text = exc.read(2000).decode("utf-8", "replace") if exc.fp else ""
        return PostResult(False, exc.code, text, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, urlguard.UnsafeURL) or isinstance(exc, urlguard.UnsafeURL):
            return PostResult(False, None, "", f"refused: {reason}", final=True)
        return PostResult(False, None, "", f"{type(exc).__name__}: {reason}")
