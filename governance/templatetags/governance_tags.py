"""Template helpers of the governance pages."""

from django import template

from catalog.views import render_markdown
from governance.permissions import is_steward, may_curate

register = template.Library()


@register.filter
def curatable_by(asset, user) -> bool:
    """``{% if asset|curatable_by:user %}``: may ``user`` curate ``asset``."""
    return may_curate(user, asset)


@register.filter
def steward(user) -> bool:
    """``{% if user|steward %}``: a steward or admin."""
    return is_steward(user)


@register.filter
def markdown(text: str):
    """Sanitised HTML of a Markdown text (the catalog's renderer)."""
    return render_markdown(text or "")


@register.filter
def joined(values, sep: str = ", ") -> str:
    """``["a", "b"]|joined`` → ``a, b``."""
    return sep.join(str(v) for v in values or [])
