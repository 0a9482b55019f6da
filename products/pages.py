"""What the products app adds to the catalog's pages (the products an asset belongs
to), and the product page's own extension point: sections shown in each output port."""

from catalog.pages import PageExtension

_PORT_SECTIONS: list[str] = []
_PRODUCT_HEADERS: list[str] = []
_PRODUCT_BADGES: list = []
_DOMAIN_HEADERS: list[str] = []


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


def register_product_header(template: str) -> str:
    """Include ``template`` in the product page's header (after the health badge; once
    per template). It gets ``product`` and ``user`` and should load per-user state
    lazily (``hx-get``). Returns the template name."""
    if template not in _PRODUCT_HEADERS:
        _PRODUCT_HEADERS.append(template)
    return template


def product_headers() -> list[str]:
    """The registered product header templates, in registration order."""
    return list(_PRODUCT_HEADERS)


def register_product_badges(fn):
    """Add a badge source to the product list and page: ``fn(product_ids) -> {product id:
    [{"label", "title", "url", "css"}]}``, a fixed number of queries per call."""
    if fn not in _PRODUCT_BADGES:
        _PRODUCT_BADGES.append(fn)
    return fn


def product_badges(product_ids) -> dict[int, list[dict]]:
    """Badges of every registered source for ``product_ids``: ``{id: [badge, ...]}``."""
    ids = list(product_ids)
    out: dict[int, list[dict]] = {pk: [] for pk in ids}
    for fn in _PRODUCT_BADGES if ids else []:
        for pk, badges in fn(ids).items():
            out.setdefault(pk, []).extend(badges)
    return out


def register_domain_header(template: str) -> str:
    """Include ``template`` in the domain page's header actions (once per template). It
    gets ``domain`` and ``user``. Returns the template name."""
    if template not in _DOMAIN_HEADERS:
        _DOMAIN_HEADERS.append(template)
    return template


def domain_headers() -> list[str]:
    """The registered domain header templates, in registration order."""
    return list(_DOMAIN_HEADERS)
