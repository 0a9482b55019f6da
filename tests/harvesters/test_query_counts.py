"""Query counts of the sources and run pages and the sources/runs API are pinned and
flat (no N+1); see :mod:`tests.base`."""

import itertools

from catalog.models import HarvestRun, Source
from harvesters.models import RunChange
from tests.base import APIDetailTests, APIListTests, PageTests
from tests.factories import make_asset

_ids = itertools.count()


def make_sources(n: int) -> list[Source]:
    """``n`` sql sources, each with two finished runs and an asset."""
    made = []
    for _ in range(n):
        k = next(_ids)
        source = Source.objects.create(name=f"db-{k}", kind="sql", config={"url": "sqlite://"})
        for status in ("succeeded", "partial"):
            HarvestRun.objects.create(source=source, status=status, counts={"datasets": 1})
        make_asset(f"db.main.t{k}", source_kind="sql", source_name=source.name)
        made.append(source)
    return made


class TestSourcesPage(PageTests):
    queries = 6  # + the lost-run reaper's check, + the schedules

    def setup_rows(self) -> str:
        make_sources(2)
        return "/sources/"

    def grow(self) -> None:
        make_sources(4)


class TestRunPage(PageTests):
    # run, change totals, change count, change page, removed assets, session, user (the
    # removed assets here have no asset id: no restorable-links query)
    queries = 7

    def setup_rows(self) -> str:
        self.run = HarvestRun.objects.filter(source__in=make_sources(1)).first()
        self._change("asset_removed", 0)
        return f"/runs/{self.run.pk}/"

    def _change(self, kind: str, k: int) -> None:
        RunChange.objects.create(run=self.run, kind=kind, urn=f"urn:mc:dataset:x://h/t{k}")

    def grow(self) -> None:
        self.run.warnings = [{"item": f"t{k}", "message": "odd"} for k in range(5)]
        self.run.save()
        for k, kind in enumerate(["asset_added", "asset_removed", "schema_changed"] * 5, 1):
            self._change(kind, k)


class TestSourceListAPI(APIListTests):
    url = "/api/v1/sources"
    queries = 4  # + the sources' schedules (django-celery-beat), one query
    filters = {"kind=sql": 3, "kind=dbt": 0, "enabled=true": 3, "enabled=false": 0, "q=db-": 3}

    def make(self, n: int) -> None:
        make_sources(n)


class TestRunListAPI(APIListTests):
    url = "/api/v1/runs"
    queries = 2
    filters = {"status=partial&source=no-such-source": 0}

    def make(self, n: int) -> None:
        make_sources(n)


class TestRunDetailAPI(APIDetailTests):
    queries = 1
    missing_url = "/api/v1/runs/999999"

    def make_one(self) -> str:
        return f"/api/v1/runs/{HarvestRun.objects.filter(source__in=make_sources(1)).first().pk}"


class TestSourceDetailAPI(APIDetailTests):
    queries = 3  # + the schedule
    missing_url = "/api/v1/sources/999999"

    def make_one(self) -> str:
        return f"/api/v1/sources/{make_sources(1)[0].pk}"
