"""Template tags for other apps' pages: ``{% load products_tags %}{% asset_products asset %}``."""

from django import template

from products.links import products_for_asset

register = template.Library()


@register.inclusion_tag("products/_asset_products.html")
def asset_products(asset) -> dict:
    """Render the products (and their domains) an asset belongs to; nothing if none."""
    return {"asset_products": products_for_asset(asset)}
