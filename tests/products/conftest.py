"""Fixtures of the products page tests: ``mesh``, a small mesh of teams, domains and
products on the real test database."""

import pytest
from django.contrib.auth.models import User

from products.models import DataProduct, Domain, OutputPort, Team, TeamMembership
from tests.factories import make_asset


@pytest.fixture
def mesh(db):
    """Sales (owned by Sales Eng: olivia) › Online › Mobile; Finance (owned by Finance:
    fred); a product of Sales Eng with an output port bound to an asset; oscar in no team."""
    olivia = User.objects.create_user("olivia")
    fred = User.objects.create_user("fred")
    oscar = User.objects.create_user("oscar")
    staff = User.objects.create_user("root", is_staff=True)
    sales_eng = Team.objects.create(slug="sales-eng", name="Sales Eng")
    finance_team = Team.objects.create(slug="finance", name="Finance")
    TeamMembership.objects.create(team=sales_eng, user=olivia, role="owner")
    TeamMembership.objects.create(team=finance_team, user=fred, role="owner")
    sales = Domain.objects.create(slug="sales", name="Sales", owner_team=sales_eng)
    online = Domain.objects.create(slug="online", name="Online", parent=sales, owner_team=sales_eng)
    mobile = Domain.objects.create(slug="mobile", name="Mobile", parent=online)
    finance = Domain.objects.create(slug="finance", name="Finance", owner_team=finance_team)
    asset = make_asset("s.main.orders", "sqlite://s")
    orders = DataProduct.objects.create(
        uid="orders", name="Orders", domain=online, owner_team=sales_eng, status="active"
    )
    port = OutputPort.objects.create(
        product=orders, name="orders", version="1", asset=asset, asset_urn=asset.urn
    )
    ledger = DataProduct.objects.create(
        uid="ledger", name="Ledger", domain=finance, owner_team=finance_team
    )
    ledger_port = OutputPort.objects.create(
        product=ledger, name="entries", version="2.0.0", contract_id="ledger-entries"
    )
    return {
        "olivia": olivia,
        "fred": fred,
        "oscar": oscar,
        "staff": staff,
        "sales": sales,
        "online": online,
        "mobile": mobile,
        "finance": finance,
        "orders": orders,
        "port": port,
        "asset": asset,
        "ledger": ledger,
        "ledger_port": ledger_port,
        "sales_eng": sales_eng,
    }
