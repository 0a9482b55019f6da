"""What an asset gets from the products publishing it follows the products: binding,
moving and unbinding output ports, renaming a product, a domain or a team re-derives the
asset's product-team owner and re-indexes its search facets through the outbox."""

import pytest

from catalog.models import Asset, Owner, Ownership
from catalog.outbox import process_outbox
from catalog.search import search
from products.models import DataProduct, Domain, OutputPort, Team
from tests.factories import make_asset


def in_facet(facet: str, value: str) -> list[str]:
    """Names of the assets search finds under ``facet = value``, after the outbox ran."""
    process_outbox()
    return sorted(r["name"] for r in search("", {facet: [value]})["results"])


@pytest.fixture
def catalog(db):
    orders = make_asset("db.main.orders", "test://db", platform="postgres")
    refunds = make_asset("db.main.refunds", "test://db", platform="postgres")
    process_outbox()
    sales = Domain.objects.create(slug="sales", name="Sales")
    product = DataProduct.objects.create(uid="orders", name="Orders", domain=sales)
    return {"orders": orders, "refunds": refunds, "sales": sales, "product": product}


def test_port_binding_moves_domain_and_product_facets(catalog):
    assert in_facet("domain", "Sales") == []
    port = OutputPort.objects.create(product=catalog["product"], name="o", asset=catalog["orders"])
    assert in_facet("domain", "Sales") == ["orders"]
    assert in_facet("data_product", "Orders") == ["orders"]
    port.asset = catalog["refunds"]
    port.save()
    assert in_facet("data_product", "Orders") == ["refunds"]  # orders lost the facet
    port.delete()
    assert in_facet("data_product", "Orders") == []


def test_renamed_product_and_domain_reindex_their_assets(catalog):
    OutputPort.objects.create(product=catalog["product"], name="o", asset=catalog["orders"])
    product = catalog["product"]
    product.name = "Order Book"
    product.save()
    assert in_facet("data_product", "Order Book") == ["orders"]
    assert in_facet("data_product", "Orders") == []
    sales = catalog["sales"]
    sales.name = "Revenue"
    sales.save()
    assert in_facet("domain", "Revenue") == ["orders"]


def owners(asset: Asset) -> list[tuple[str, str]]:
    return sorted(asset.ownerships.values_list("owner__name", "origin"))


def test_product_team_owns_its_output_assets(catalog):
    team = Team.objects.create(slug="sales-eng", name="Sales Eng")
    product = catalog["product"]
    product.owner_team = team
    product.save()
    harvested = Owner.objects.create(name="ana@example.com")
    Ownership.objects.create(asset=catalog["orders"], owner=harvested, origin="warehouse")
    port = OutputPort.objects.create(product=product, name="o", asset=catalog["orders"])
    assert owners(catalog["orders"]) == [
        ("Sales Eng", "data-product"),
        ("ana@example.com", "warehouse"),
    ]
    assert in_facet("owner", "Sales Eng") == ["orders"]
    team.name = "Revenue Eng"
    team.save()
    assert in_facet("owner", "Revenue Eng") == ["orders"]
    port.asset = catalog["refunds"]
    port.save()
    # the harvested owner stays; the product's team moved with the port
    assert owners(catalog["orders"]) == [("ana@example.com", "warehouse")]
    assert owners(catalog["refunds"]) == [("Revenue Eng", "data-product")]
    product.owner_team = None
    product.save()
    assert owners(catalog["refunds"]) == []
