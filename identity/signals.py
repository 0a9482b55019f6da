"""Signals the identity app sends; upper apps connect receivers to them.

- ``groups_claimed(sender, user, groups)``: an OIDC login carried ``groups`` (list of
  strings, from the claim named by ``MESH_OIDC_GROUPS_CLAIM``); ``products`` maps them to
  team memberships and roles.
- ``security_event(sender, action, actor, subject, detail)``: something a security
  auditor wants recorded (``action`` is one of :data:`SECURITY_ACTIONS`; ``actor`` the
  user acting or None; ``subject`` a short string naming what was acted on; ``detail`` a
  JSON-able dict that never holds a secret). The audit trail app receives it.
"""

import logging

from django.dispatch import Signal

groups_claimed = Signal()
security_event = Signal()

SECURITY_ACTIONS = (
    "login",
    "logout",
    "login_failed",
    "token_created",
    "token_revoked",
    "role_changed",
    "source_credential_changed",
)

logger = logging.getLogger("mesh.security")


def send_security_event(sender, action: str, actor=None, subject: str = "", detail=None) -> None:
    """Send :data:`security_event` and log one line (``mesh.security`` logger, INFO).

    Raises ValueError for an ``action`` not in :data:`SECURITY_ACTIONS`."""
    if action not in SECURITY_ACTIONS:
        raise ValueError(f"unknown security action {action!r}")
    detail = dict(detail or {})
    actor_name = getattr(actor, "username", None) or "-"
    logger.info("security %s actor=%s subject=%s", action, actor_name, subject)
    security_event.send(sender=sender, action=action, actor=actor, subject=subject, detail=detail)
