"""Rows the access tests share: a product with an output port, its owning team (an owner
and a plain member), a domain with its owner team, a consumer and a staff user."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from products.models import DataProduct, Domain, OutputPort, Team, TeamMembership
from tests.factories import make_asset


def in_days(n: int) -> dt.date:
    """Today (UTC) plus ``n`` days."""
    return timezone.now().date() + dt.timedelta(days=n)


@pytest.fixture
def mesh(db):
    """``SimpleNamespace(owner, member, domain_owner, consumer, staff, team, domain,
    product, port, asset)``."""
    users = {
        name: User.objects.create_user(name, password="pw")
        for name in ("owner", "member", "domain_owner", "consumer", "other")
    }
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    team = Team.objects.create(slug="sales", name="Sales")
    domain_team = Team.objects.create(slug="governance", name="Governance")
    TeamMembership.objects.create(team=team, user=users["owner"], role="owner")
    TeamMembership.objects.create(team=team, user=users["member"], role="engineer")
    TeamMembership.objects.create(team=domain_team, user=users["domain_owner"], role="owner")
    domain = Domain.objects.create(slug="commerce", name="Commerce", owner_team=domain_team)
    product = DataProduct.objects.create(
        uid="invoicing", name="Invoicing", domain=domain, owner_team=team
    )
    asset = make_asset("chinook.public.invoice", "postgres://127.0.0.1:5432")
    port = OutputPort.objects.create(
        product=product, name="invoices", asset=asset, asset_urn=asset.urn
    )
    return SimpleNamespace(
        **users,
        staff=staff,
        team=team,
        domain_team=domain_team,
        domain=domain,
        product=product,
        port=port,
        asset=asset,
    )
