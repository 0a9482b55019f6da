"""Query counts of the catalog's pages and list endpoints are pinned and flat (no N+1):
home, search, every tab of the asset page, the asset list and detail API. See
:mod:`tests.base`; the asset page's lineage tabs are the lineage app's (registered in
:mod:`catalog.pages`), pinned here because they render inside the catalog's page."""

import itertools
import uuid

from django.utils import timezone

from catalog.models import Asset, Field, HarvestRun, Owner, Ownership, Source, Tag
from catalog.outbox import process_outbox
from lineage.models import JobRun, LineageEdge
from tests.base import APIDetailTests, APIListTests, PageTests
from tests.factories import make_asset

_ids = itertools.count()


def make_assets(n: int, around: Asset | None = None) -> list[Asset]:
    """``n`` tables reported by a source (with a run), each with two columns, a tag and
    an owner; linked downstream of ``around`` (through a job) when given."""
    source, _ = Source.objects.get_or_create(name="warehouse", defaults={"kind": "sql"})
    run = HarvestRun.objects.create(source=source, status="succeeded")
    job = make_asset(f"jobs.load_{next(_ids)}", kind="job", type="job") if around else None
    made = []
    for _ in range(n):
        k = next(_ids)
        asset = make_asset(f"db.main.table_{k}", source_kind="sql", source_name="warehouse")
        asset.provenance.update(last_run=run)
        Field.objects.create(asset=asset, name="id", ordinal=0, is_primary_key=True)
        Field.objects.create(asset=asset, name="amount", ordinal=1)
        asset.tags.add(Tag.objects.get_or_create(name="gold")[0])
        owner, _ = Owner.objects.get_or_create(name=f"team-{k % 2}")
        Ownership.objects.create(owner=owner, asset=asset)
        if around is not None:
            LineageEdge.objects.create(
                key=f"e{k}", upstream=around, downstream=asset, job=job, origin=source, run=run
            )
        made.append(asset)
    process_outbox()  # the search index follows
    return made


class TestHomePage(PageTests):
    queries = 13  # + usage: popular (2), the viewer's preference and recent views/queries (3)

    def setup_rows(self) -> str:
        make_assets(2)
        return "/"

    def grow(self) -> None:
        make_assets(4)


class TestSearchPage(PageTests):
    queries = 2

    def setup_rows(self) -> str:
        make_assets(2)
        return "/search?q=table"

    def grow(self) -> None:
        make_assets(4)


class _AssetPage(PageTests):
    tab = "schema"

    def setup_rows(self) -> str:
        self.root = make_asset("db.main.root", source_kind="sql", source_name="warehouse")
        make_assets(2, around=self.root)
        return f"/assets/{self.root.urn}?tab={self.tab}"

    def grow(self) -> None:
        make_assets(4, around=self.root)
        for k in range(3):
            Field.objects.create(asset=self.root, name=f"col_{k}", ordinal=k)


class TestAssetSchemaTab(_AssetPage):
    queries = 23  # + the dbt test results (quality) under the schema, + open incidents
    # + usage: the popularity badge and the schema table's Usage column; + 8 governance


class TestAssetLineageTab(_AssetPage):
    tab = "lineage"
    queries = 21  # + the popularity badge (usage), + open incidents (notifications header)
    # + governance (issue 15): curated tags, term links, column classes, set level, may curate


class TestAssetImpactTab(_AssetPage):
    tab = "impact"
    # + open incidents (notifications header), + popularity badge, + 8 governance, + 1: the
    # traversal checks the reached nodes for removed ones once (it joined assets per edge)
    queries = 27


class TestJobRunsTab(PageTests):
    queries = 18  # + open incidents (notifications header), + 6 governance

    def setup_rows(self) -> str:
        self.job = make_asset("jobs.nightly", kind="job", type="job")
        self.grow()
        return f"/assets/{self.job.urn}?tab=runs"

    def grow(self) -> None:
        now = timezone.now()
        upstream = make_assets(1)[0]
        source = Source.objects.get(name="warehouse")
        for _ in range(2):
            JobRun.objects.create(
                run_id=uuid.uuid4(),
                job=self.job,
                state="COMPLETE",
                started_at=now,
                ended_at=now,
                first_event_time=now,
                last_event_time=now,
                event_count=2,
            )
        LineageEdge.objects.create(
            key=f"j{next(_ids)}",
            upstream=upstream,
            downstream=make_assets(1)[0],
            job=self.job,
            origin=source,
        )


class TestAssetListAPI(APIListTests):
    url = "/api/v1/assets"
    queries = 2

    def make(self, n: int) -> None:
        make_assets(n)

    @property
    def filters(self) -> dict[str, int]:
        live = Asset.objects.filter(removed=False, kind="dataset").count()
        return {"kind=dataset": live, "tag=gold": live, "q=no-such-table": 0, "source=nope": 0}


class TestAssetDetailAPI(APIDetailTests):
    queries = 9  # + the quality results, + curated tags (governance, issue 15)
    missing_url = "/api/v1/assets/urn:mc:dataset:sqlite://s/no.such.table"

    def make_one(self) -> str:
        return f"/api/v1/assets/{make_assets(1)[0].urn}"
