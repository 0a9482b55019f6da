"""What access adds to the catalog's asset page: a lazily loaded "Request access" panel
(no query on the asset page itself; ``/access/assets/<id>/panel`` lists the output ports
publishing the asset)."""

from catalog.pages import PageExtension


class AccessPages(PageExtension):
    """Asset page panel ``access/_asset_panel.html`` (an ``hx-get`` placeholder)."""

    panel_template = "access/_asset_panel.html"
