"""Query counts of every products page and list endpoint are pinned and flat (no N+1).

Each case builds a real mesh (teams, domains, products with members, input and output
ports bound to harvested assets, SLOs with samples, history) and requests the page or
endpoint before and after adding more of every listed row; see :mod:`tests.base`.
"""

import itertools

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from products.models import (
    SLO,
    DataContract,
    DataProduct,
    Domain,
    EditRecord,
    InputPort,
    OutputPort,
    ProductMember,
    Team,
    TeamMembership,
)
from products.slo import record_sample
from tests.base import APIDetailTests, APIListTests, PageTests
from tests.factories import make_asset

_ids = itertools.count()


def _team(name: str = "") -> Team:
    n = next(_ids)
    team = Team.objects.create(slug=f"team-{n}", name=name or f"Team {n}")
    user = User.objects.create_user(f"member-{n}")
    TeamMembership.objects.create(team=team, user=user, role="owner")
    return team


def _domain(team: Team, parent: Domain | None = None) -> Domain:
    n = next(_ids)
    return Domain.objects.create(
        slug=f"domain-{n}", name=f"Domain {n}", parent=parent, owner_team=team
    )


def make_products(n: int, domain: Domain | None = None, team: Team | None = None) -> list:
    """``n`` active products, each with a member, an input port reading the previous one,
    an output port bound to a harvested asset and its contract, two SLOs with samples and
    a history row."""
    team = team or _team()
    domain = domain or _domain(team)
    made = []
    for _ in range(n):
        k = next(_ids)
        product = DataProduct.objects.create(
            uid=f"product-{k}",
            name=f"Product {k}",
            domain=domain,
            owner_team=team,
            status="active",
            tags=["gold", f"t{k}"],
            links=[{"type": "docs", "url": "https://example.com/docs"}],
        )
        ProductMember.objects.create(product=product, username=f"member-{k}", role="owner")
        contract = DataContract.objects.create(uid=f"contract-{k}", name=f"c{k}", document={})
        asset = make_asset(f"db.main.table_{k}", source_kind="sql", source_name="warehouse")
        port = OutputPort.objects.create(
            product=product, name="out", asset=asset, asset_urn=asset.urn, data_contract=contract
        )
        if made:
            InputPort.objects.create(
                product=product, name="in", upstream_product=made[-1], asset_urn=made[-1].uid
            )
        for kind, threshold in (("freshness", 3600.0), ("volume", None)):
            slo = SLO.objects.create(
                port=port, name=kind, kind=kind, objective=0.9, threshold=threshold, min_value=1
            )
            for value in (10.0, 20.0):
                record_sample(slo, value)
        EditRecord.objects.create(product=product, action="create", changes={"name": [None, "x"]})
        made.append(product)
    return made


def _staff_client(client):
    staff = User.objects.filter(username="staff").first() or User.objects.create_superuser("staff")
    client.force_login(staff)
    return client


class TestProductListPage(PageTests):
    queries = 11  # + open incident badges (notifications)

    def setup_rows(self) -> str:
        make_products(2)
        return "/products/"

    def grow(self) -> None:
        make_products(4)


class TestProductPage(PageTests):
    queries = 20  # + open incident badges (notifications)

    def setup_rows(self) -> str:
        self.team = _team()
        self.products = make_products(2, team=self.team)
        return f"/products/{self.products[-1].uid}/"

    def grow(self) -> None:
        product = self.products[-1]
        for k in range(3):
            ProductMember.objects.create(product=product, username=f"extra-{k}", role="steward")
            asset = make_asset(f"db.main.more_{next(_ids)}", source_kind="sql")
            port = OutputPort.objects.create(
                product=product, name=f"more-{k}", asset=asset, asset_urn=asset.urn
            )
            slo = SLO.objects.create(port=port, name="rows", kind="volume", min_value=1)
            record_sample(slo, 5.0)
            InputPort.objects.create(product=product, name=f"in-{k}", asset_urn=asset.urn)
            EditRecord.objects.create(product=product, action="update", changes={"x": [1, 2]})


class TestDomainListPage(PageTests):
    queries = 4

    def setup_rows(self) -> str:
        team = _team()
        self.root = _domain(team)
        make_products(2, domain=_domain(team, self.root), team=team)
        return "/domains/"

    def grow(self) -> None:
        team = _team()
        for _ in range(3):
            make_products(1, domain=_domain(team, self.root), team=team)


class TestDomainPage(PageTests):
    queries = 10

    def setup_rows(self) -> str:
        team = _team()
        self.domain = _domain(team)
        self.team = team
        make_products(2, domain=self.domain, team=team)
        return f"/domains/{self.domain.slug}/"

    def grow(self) -> None:
        _domain(self.team, self.domain)
        _domain(self.team, self.domain)
        make_products(3, domain=self.domain, team=self.team)


class TestTeamListPage(PageTests):
    queries = 7

    def setup_rows(self) -> str:
        _team()
        _team()
        return "/teams/"

    def grow(self) -> None:
        for _ in range(4):
            team = _team()
            EditRecord.objects.create(team=team, action="update", changes={"name": ["a", "b"]})

    def client(self, client):
        return _staff_client(client)


class _SignedIn:
    def client(self, client):
        api = APIClient()
        api.force_authenticate(User.objects.create_user(f"reader-{next(_ids)}"))
        return api


class TestProductListAPI(_SignedIn, APIListTests):
    url = "/api/v1/products"
    queries = 7

    def make(self, n: int) -> None:
        make_products(n)

    @property
    def filters(self) -> dict[str, int]:
        return {
            "status=active": DataProduct.objects.filter(status="active").count(),
            "status=draft": 0,
            "tag=gold": DataProduct.objects.count(),
            "tag=nope": 0,
        }


class TestDomainListAPI(_SignedIn, APIListTests):
    url = "/api/v1/domains"
    queries = 3
    filters = {}

    def make(self, n: int) -> None:
        team = _team()
        for _ in range(n):
            make_products(1, domain=_domain(team), team=team)


class TestContractListAPI(_SignedIn, APIListTests):
    url = "/api/v1/contracts"
    queries = 4
    filters = {"q=no-such-contract": 0}

    def make(self, n: int) -> None:
        make_products(n)


class TestProductSLOsAPI(_SignedIn, APIListTests):
    queries = 2
    filters = {}

    @property
    def url(self) -> str:
        product = DataProduct.objects.order_by("id").first()
        return f"/api/v1/products/{product.uid}/slos"

    def make(self, n: int) -> None:
        product = DataProduct.objects.order_by("id").first() or make_products(1)[0]
        port = product.output_ports.first()
        for k in range(n):
            slo = SLO.objects.create(
                port=port, name=f"rows-{next(_ids)}", kind="volume", min_value=1
            )
            record_sample(slo, float(k))


class TestSLOSamplesAPI(_SignedIn, APIListTests):
    queries = 3
    filters = {}

    @property
    def url(self) -> str:
        return f"/api/v1/slos/{SLO.objects.order_by('id').first().pk}/samples"

    def make(self, n: int) -> None:
        slo = SLO.objects.order_by("id").first() or SLO.objects.get(
            pk=make_products(1)[0].output_ports.first().slos.first().pk
        )
        for k in range(n):
            record_sample(slo, float(k))


class TestProductDetailAPI(_SignedIn, APIDetailTests):
    queries = 6
    missing_url = "/api/v1/products/no-such-product"

    def make_one(self) -> str:
        return f"/api/v1/products/{make_products(2)[-1].uid}"


class TestDomainDetailAPI(_SignedIn, APIDetailTests):
    queries = 3
    missing_url = "/api/v1/domains/no-such-domain"

    def make_one(self) -> str:
        return f"/api/v1/domains/{make_products(2)[-1].domain.slug}"


class TestContractDetailAPI(_SignedIn, APIDetailTests):
    queries = 3
    missing_url = "/api/v1/contracts/no-such-contract"

    def make_one(self) -> str:
        port = make_products(1)[0].output_ports.first()
        return f"/api/v1/contracts/{port.data_contract.uid}"
