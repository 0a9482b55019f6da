"""What the products app adds to the catalog's pages (the products an asset belongs
to), and the product page's own extension point: sections shown in each output port."""

from catalog.pages import PageExtension

_PORT_SECTIONS: list[str] = []


class ProductPages(PageExtension):
    """Asset page: a panel naming the data products (and domains) that publish or read
    the asset (``products/_asset_products.html``; one query)."""

    panel_template = "products/_asset_products_panel.html"


def register_port_section(template: str) -> str:
    """Include ``template`` in every output port card of the product page (once per
    template; upper apps call this from ``AppConfig.ready()``). The template gets
    ``product``, ``port`` and ``user``; it must not query per port (load lazily, e.g.
    with ``hx-get``). Returns the template name."""
    if template not in _PORT_SECTIONS:
        _PORT_SECTIONS.append(template)
    return template


def port_sections() -> list[str]:
    """The registered port section templates, in registration order."""
    return list(_PORT_SECTIONS)
