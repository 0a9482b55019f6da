"""The Usage tab's query count is pinned and flat (no N+1); see :mod:`tests.base`."""

from datetime import timedelta

from django.utils import timezone

from tests.base import PageTests
from tests.factories import make_asset
from usage.models import QueryShape, QueryUsageDay, UsageDay, UserUsageDay


class TestUsageTabQueryCount(PageTests):
    """The Usage tab's queries do not grow with days, users or query shapes."""

    queries = 28  # asset page (22: catalog, lineage, products, incidents, governance, session)
    # + 6 usage
    # + popularity badge (header) + page views and search clicks (tab)

    def setup_rows(self) -> str:
        self.asset = make_asset("db.main.orders", source_kind="sql")
        self.n = 0
        self.grow()
        return f"/assets/{self.asset.urn}?tab=usage"

    def grow(self) -> None:
        from catalog.models import Source

        source, _ = Source.objects.get_or_create(name="log", kind="usage", config={})
        today = timezone.now().date()
        for _ in range(3):
            self.n += 1
            day = today - timedelta(days=self.n)
            shape = QueryShape.objects.create(fingerprint=f"{self.n:040d}", text=f"q{self.n}")
            base = {"source": source, "asset": self.asset, "urn": self.asset.urn, "day": day}
            UsageDay.objects.create(**base, queries=self.n, users=1)
            UserUsageDay.objects.create(**base, user=f"u{self.n}", queries=self.n)
            QueryUsageDay.objects.create(**base, shape=shape, queries=self.n)
