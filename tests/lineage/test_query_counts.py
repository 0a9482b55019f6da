"""Query count of the job runs API (``GET /api/v1/jobs/<urn>/runs``) is pinned and flat,
and its filters narrow it; see :mod:`tests.base`."""

import uuid
from datetime import timedelta

from django.utils import timezone

from catalog.models import Asset
from lineage.models import JobRun
from tests.base import APIListTests
from tests.factories import make_asset

JOB = "jobs.nightly"


class TestJobRunsAPI(APIListTests):
    queries = 3
    filters = {
        "state=COMPLETE": 2,
        "state=FAIL": 1,
        "state=COMPLETE&state=FAIL": 3,
        "started_after=2026-01-01T00:00:00Z": 3,
        "started_before=2000-01-01T00:00:00Z": 0,
    }

    @property
    def url(self) -> str:
        return f"/api/v1/jobs/{self.job().urn}/runs"

    def job(self) -> Asset:
        found = Asset.objects.filter(kind="job").first()
        return found or make_asset(JOB, kind="job", type="job")

    def make(self, n: int) -> None:
        job, now = self.job(), timezone.now()
        for k in range(n):
            JobRun.objects.create(
                run_id=uuid.uuid4(),
                job=job,
                state="FAIL" if k == 2 else "COMPLETE",
                started_at=now - timedelta(minutes=k),
                first_event_time=now,
                last_event_time=now,
            )

    def test_unknown_state_is_a_400_naming_it(self, client, db):
        self.make(1)
        response = client.get(f"{self.url}?state=DONE")
        assert response.status_code == 400 and "state" in response.json()
