"""What the products app adds to the catalog's pages: the products an asset belongs to."""

from catalog.pages import PageExtension


class ProductPages(PageExtension):
    """Asset page: a panel naming the data products (and domains) that publish or read
    the asset (``products/_asset_products.html``; one query)."""

    panel_template = "products/_asset_products_panel.html"
