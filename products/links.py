"""How products meet the rest of the catalog: asset pages, search facets, product lineage."""

from django.db.models import Q

from lineage.models import LineageEdge, edge_filter
from products.models import DataProduct, InputPort, OutputPort


def products_for_asset(asset) -> list[dict]:
    """Products an asset belongs to, for the asset page.

    Returns ``[{"product": DataProduct, "domain": Domain|None, "role": "output"|"input",
    "port": port name, "url": product page path}]``, outputs first.
    """
    rows = []
    for role, model in (("output", OutputPort), ("input", InputPort)):
        ports = model.objects.filter(asset=asset).select_related("product__domain")
        for port in ports:
            rows.append(
                {
                    "product": port.product,
                    "domain": port.product.domain,
                    "role": role,
                    "port": port.name,
                    "url": f"/products/{port.product.uid}/",
                }
            )
    return rows


def search_facets(asset_ids) -> dict[int, dict[str, list[str]]]:
    """Search enricher (``MESH_SEARCH_ENRICHERS``): ``{asset_id: {"domain": [names],
    "data_product": [names]}}`` for assets published by a product's output port."""
    facets: dict[int, dict[str, list[str]]] = {}
    ports = OutputPort.objects.filter(asset_id__in=list(asset_ids)).values_list(
        "asset_id", "product__name", "product__domain__name"
    )
    for asset_id, product, domain in ports:
        entry = facets.setdefault(asset_id, {"domain": [], "data_product": []})
        if product not in entry["data_product"]:
            entry["data_product"].append(product)
        if domain and domain not in entry["domain"]:
            entry["domain"].append(domain)
    return facets


def product_lineage(product: DataProduct) -> dict[str, list[dict]]:
    """Product-to-product lineage around ``product``.

    Upstream products: another product whose output-port asset feeds (a LineageEdge to)
    an input- or output-port asset of this one, or that an input port names directly.
    Downstream: the mirror image. Returns ``{"upstream": [...], "downstream": [...]}``
    with items ``{"product": DataProduct, "via": ["<up urn> → <down urn>" or
    "input port <name>"]}`` sorted by product name.
    """
    mine = set(product.output_ports.exclude(asset=None).values_list("asset_id", flat=True))
    mine_in = set(product.input_ports.exclude(asset=None).values_list("asset_id", flat=True))
    others = {
        asset_id: pid
        for asset_id, pid in OutputPort.objects.exclude(product=product)
        .exclude(asset=None)
        .values_list("asset_id", "product_id")
    }
    up: dict[int, list[str]] = {}
    down: dict[int, list[str]] = {}
    edges = (
        LineageEdge.objects.filter(edge_filter())
        .filter(
            Q(upstream_id__in=others, downstream_id__in=mine | mine_in)
            | Q(upstream_id__in=mine, downstream_id__in=others)
        )
        .select_related("upstream", "downstream")
    )
    for edge in edges:
        label = f"{edge.upstream.name} → {edge.downstream.name}"
        if edge.upstream_id in others and edge.downstream_id in mine | mine_in:
            up.setdefault(others[edge.upstream_id], []).append(label)
        if edge.upstream_id in mine and edge.downstream_id in others:
            down.setdefault(others[edge.downstream_id], []).append(label)
    # consumers reading our outputs through their input ports' assets
    consumer_ports = InputPort.objects.filter(asset_id__in=mine).exclude(product=product)
    for port in consumer_ports:
        down.setdefault(port.product_id, []).append(f"input port {port.name}")
    for port in product.input_ports.exclude(upstream_product=None):
        up.setdefault(port.upstream_product_id, []).append(f"input port {port.name}")
    for port in product.consumers.all():
        down.setdefault(port.product_id, []).append(f"input port {port.name}")
    products = DataProduct.objects.in_bulk(set(up) | set(down))

    def listing(found):
        items = [{"product": products[pid], "via": sorted(set(via))} for pid, via in found.items()]
        return sorted(items, key=lambda i: i["product"].name)

    return {"upstream": listing(up), "downstream": listing(down)}


#: ``Ownership.origin`` of the owners a product's team gets on its output-port assets
PRODUCT_OWNERSHIP_ORIGIN = "data-product"


def sync_product_ownerships(asset_ids) -> int:
    """Make the owning team of every product that publishes an asset (an output port
    bound to it) a ``team`` owner of that asset, and drop such owners that no longer
    hold: in a data mesh the team owning a data product owns its output ports.

    ``asset_ids`` is an iterable of ``catalog.Asset`` ids to re-derive (None entries are
    ignored). Owners from harvests (other ``origin``) are never touched. Returns the
    number of product ownerships the assets have afterwards.
    """
    from catalog.models import Owner, Ownership

    ids = {i for i in asset_ids if i}
    if not ids:
        return 0
    Ownership.objects.filter(asset_id__in=ids, origin=PRODUCT_OWNERSHIP_ORIGIN).delete()
    pairs = set(
        OutputPort.objects.filter(asset_id__in=ids, product__owner_team__isnull=False).values_list(
            "asset_id", "product__owner_team__name"
        )
    )
    if not pairs:
        return 0
    names = {name for _, name in pairs}
    Owner.objects.bulk_create(
        [Owner(name=name, kind=Owner.Kind.TEAM) for name in names], ignore_conflicts=True
    )
    owners = dict(Owner.objects.filter(name__in=names).values_list("name", "id"))
    Ownership.objects.bulk_create(
        [
            Ownership(
                asset_id=asset_id,
                owner_id=owners[name],
                type=Ownership.Type.TECHNICAL_OWNER,
                origin=PRODUCT_OWNERSHIP_ORIGIN,
            )
            for asset_id, name in pairs
        ],
        ignore_conflicts=True,  # the same team may already own it through a harvest
    )
    return len(pairs)
