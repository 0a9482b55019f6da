"""Signals the products app sends; upper layers (governance, notifications, ...) connect
receivers. Defined here, by the sender, so products never imports the apps that listen."""

from django.dispatch import Signal

slo_state_changed = Signal()
"""Sent robustly when an SLO's computed state changes (``met`` ↔ ``at risk`` ↔
``breached``); sender :class:`products.models.SLO`; kwargs ``slo``, ``old`` and ``new``
(state strings) and ``value`` (the measured SLI, its unit the SLO's)."""
