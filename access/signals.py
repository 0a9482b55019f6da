"""Signals the access app sends; upper layers (notifications, ...) connect receivers.
Defined here, by the sender, so access never imports the apps that listen."""

from django.dispatch import Signal

request_changed = Signal()
"""Sent robustly after a transition of an access request or grant commits (the same
moment its audit entry is written); sender :class:`access.models.AccessRequest`;
kwargs ``request`` (the request), ``action`` (the audit action without its ``access.``
prefix: ``requested``, ``step_approved``, ``approved``, ``denied``, ``withdrawn``,
``provisioning``, ``provisioning_failed``, ``provisioned``, ``awaiting_manual``,
``revoked``, ``expired``, ``extended``, ...) and ``actor`` (a user or None)."""
