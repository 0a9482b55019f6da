"""Template tags of the products app.

``{% asset_products asset %}`` (for other apps' pages) and the display helpers of the
product, domain and team pages: ``field|ui_widget`` renders a form field with the
catalog's input classes, ``share|percent``, ``remaining|budget_left`` and
``rate|burn_rate`` format SLO numbers (see :mod:`products.slo`).
"""

from django import forms, template

from products.links import products_for_asset
from products.odps import is_safe_link
from products.slo import format_budget, format_burn_rate, format_percent

register = template.Library()


@register.inclusion_tag("products/_asset_products.html")
def asset_products(asset) -> dict:
    """Render the products (and their domains) an asset belongs to; nothing if none."""
    return {"asset_products": products_for_asset(asset)}


@register.filter
def safe_link(url) -> bool:
    """``{% if link.url|safe_link %}``: whether a stored product link may be an ``href``
    (http(s), mailto or a site path); others are shown as text, never linked."""
    return is_safe_link(url)


@register.filter
def ui_widget(field):
    """Render a bound form field's widget with the catalog's classes: ``input`` for text
    inputs, selects and text areas (plus ``input--select``/``input--area``), ``check``
    for check boxes. Django still adds ``aria-invalid`` and ``aria-describedby``
    (``<id>_helptext``, ``<id>_error``)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        css = "check"
    elif isinstance(widget, forms.Select):
        css = "input input--select"
    elif isinstance(widget, forms.Textarea):
        css = "input input--area"
    else:
        css = "input"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field) -> bool:
    """Whether a bound field is a single check box (label goes after it)."""
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def percent(share):
    """A 0..1 share as ``97.3%`` (never a rounded-up 100 %); ``—`` for None."""
    return format_percent(share)


@register.filter
def budget_left(remaining):
    """Error budget left: ``62%``, or ``exhausted`` at or below 0; ``—`` for None."""
    return format_budget(remaining)


@register.filter
def burn_rate(rate):
    """Burn rate: ``0.42×``, ``3.5×``, ``12×``, ``>100×``; ``—`` for None."""
    return format_burn_rate(rate)
