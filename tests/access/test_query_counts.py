"""Query counts of the access pages and list endpoints are pinned and flat (no N+1):
the inbox, the badge, My access, a port's access section, the request and grant lists
and the audit page; see :mod:`tests.base`."""

import datetime as dt
import itertools

from django.contrib.auth.models import User
from django.utils import timezone

from access.models import AccessRequest
from audit.services import record
from products.models import DataProduct, OutputPort, Team, TeamMembership
from tests.base import APIListTests, PageTests

_ids = itertools.count()


def _owner() -> User:
    user, _ = User.objects.get_or_create(username="page-owner")
    return user


def _consumer() -> User:
    user, _ = User.objects.get_or_create(username="page-consumer")
    return user


def _rows(n: int, state: str = "requested") -> None:
    """``n`` requests by new consumers (and the shared one) on new ports owned by the
    page owner's team, with team memberships (shown on the port section)."""
    owner = _owner()
    team, _ = Team.objects.get_or_create(slug="page-team", defaults={"name": "Page team"})
    TeamMembership.objects.get_or_create(team=team, user=owner, defaults={"role": "owner"})
    end = timezone.now().date() + dt.timedelta(days=30)
    port = OutputPort.objects.filter(product__uid="page-product").first()
    if port is None:
        product = DataProduct.objects.create(uid="page-product", name="Page", owner_team=team)
        port = OutputPort.objects.create(product=product, name="out")
    for _ in range(n):
        k = next(_ids)
        consumer = User.objects.create_user(f"consumer-{k}")
        TeamMembership.objects.create(team=team, user=consumer, role="member")
        AccessRequest.objects.create(
            consumer=consumer, port=port, purpose=f"p{k}", end_date=end, state=state
        )
        other = OutputPort.objects.create(product=port.product, name=f"out-{k}")
        AccessRequest.objects.create(
            consumer=_consumer(), port=other, purpose=f"mine {k}", end_date=end, state=state
        )


class _AsOwner:
    def client(self, client):
        client.force_login(_owner())
        return client


class TestInbox(_AsOwner, PageTests):
    queries = 6  # session, user, domain roles, count, page, needing attention

    def setup_rows(self) -> str:
        _rows(2)
        return "/access/inbox/"

    def grow(self) -> None:
        _rows(3)


class TestBadge(_AsOwner, PageTests):
    queries = 4  # session, user, domain roles, count

    def setup_rows(self) -> str:
        _rows(2)
        return "/access/badge"

    def grow(self) -> None:
        _rows(3)


class TestMyAccess(PageTests):
    queries = 4  # session, user, count, page

    def client(self, client):
        client.force_login(_consumer())
        return client

    def setup_rows(self) -> str:
        _rows(2)
        return "/access/mine/"

    def grow(self) -> None:
        _rows(3)


class TestPortSection(PageTests):
    queries = 5  # session, user, port, grants, consumers' teams

    def setup_rows(self) -> str:
        _rows(2, state="active")
        return f"/access/ports/{OutputPort.objects.get(name='out').pk}/section"

    def grow(self) -> None:
        _rows(3, state="active")


class TestAuditPage(PageTests):
    queries = 4  # session, user, count, page

    def client(self, client):
        client.force_login(User.objects.create_user(f"staff-{next(_ids)}", is_staff=True))
        return client

    def setup_rows(self) -> str:
        for i in range(2):
            record("test.page", None, f"row {i}")
        return "/audit/"

    def grow(self) -> None:
        for i in range(3):
            record("test.page", None, f"more {i}")


class TestRequestListAPI(_AsOwner, APIListTests):
    url = "/api/v1/access-requests?scope=to_approve"
    queries = 5  # session, user, domain roles, count, page
    filters = {"state=requested": 6, "state=denied": 0, "product=page-product": 6}

    def make(self, n: int) -> None:
        _rows(n)


class TestGrantListAPI(APIListTests):
    url = "/api/v1/grants"
    queries = 5  # session, user, domain roles, count, page
    filters = {"state=active": 3, "state=revoked": 0, "level=read": 3}

    def client(self, client):
        client.force_login(_consumer())
        return client

    def make(self, n: int) -> None:
        _rows(n, state="active")
