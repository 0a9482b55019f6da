"""Classification after a push (issue 13, part 7): batched reads, in the request without
workers, as a queued task (``governance.tasks.classify_run``) with them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import ColumnClass
from governance.tasks import classify_run
from harvesters.kinds.push.ingest import push_assets, push_source

NS = "urn:mc:dataset:postgres://db:5432/shop.public"


def items(count: int) -> list[dict]:
    return [
        {
            "urn": f"{NS}.customers_{i}",
            "fields": [
                {"name": "id", "data_type": "integer"},
                {"name": "customer_email", "data_type": "string"},
                {"name": "phone_number", "data_type": "string"},
            ],
        }
        for i in range(count)
    ]


@pytest.mark.django_db
def test_a_push_gets_class_proposals_with_queries_not_growing_per_asset():
    source = push_source("crm")
    with CaptureQueriesContext(connection) as small:
        push_assets(source, items(3))
    assert (
        ColumnClass.objects.filter(field_name="customer_email", data_class__slug="email").count()
        == 3
    )
    ColumnClass.objects.all().delete()
    with CaptureQueriesContext(connection) as big:
        push_assets(source, items(60))
    assert ColumnClass.objects.filter(data_class__slug="email").count() == 60
    assert ColumnClass.objects.filter(data_class__slug="phone").count() == 60
    # reading columns, links and classes is per batch; only new proposals are per row
    per_proposal = 120
    assert len(big) - len(small) <= per_proposal + 30, len(big) - len(small)


@pytest.mark.django_db
def test_the_queued_task_classifies_the_runs_datasets():
    source = push_source("crm")
    result = push_assets(source, items(2))
    ColumnClass.objects.all().delete()
    assert classify_run(result.run.id) is True
    assert ColumnClass.objects.filter(data_class__slug="email").count() == 2
    assert classify_run(10**9) is False
