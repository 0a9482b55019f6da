"""Template filter ``slo_measured``: the last measurement of an SLO row in words."""

from django import template

from products.slo_text import describe

register = template.Library()


@register.filter
def slo_measured(row) -> str:
    """``row`` is ``{"slo", "status"}`` as on the product page → ``"last: age 2 d (limit
    1 d)"`` or ``""`` without samples."""
    status = row.get("status") if isinstance(row, dict) else getattr(row, "status", None)
    slo = row.get("slo") if isinstance(row, dict) else getattr(row, "slo", None)
    if status is None or slo is None or not status.total:
        return ""
    return f"last: {describe(slo, status.last_value)}"
