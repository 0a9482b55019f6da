"""Search facets follow the products: binding, moving and unbinding output ports,
renaming a product or a domain re-indexes the published assets through the outbox."""

import pytest

from catalog.models import Asset
from catalog.outbox import process_outbox
from catalog.search import search
from products.models import DataProduct, Domain, OutputPort


def asset(urn: str, name: str) -> Asset:
    return Asset.objects.create(
        urn=urn, kind="dataset", type="table", namespace="test://db", name=name,
        qualified_name=f"db.main.{name}", platform="postgres",
    )  # fmt: skip


def in_facet(facet: str, value: str) -> list[str]:
    """Names of the assets search finds under ``facet = value``, after the outbox ran."""
    process_outbox()
    return sorted(r["name"] for r in search("", {facet: [value]})["results"])


@pytest.fixture
def catalog(db):
    orders = asset("urn:mc:dataset:test://db/db.main.orders", "orders")
    refunds = asset("urn:mc:dataset:test://db/db.main.refunds", "refunds")
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
