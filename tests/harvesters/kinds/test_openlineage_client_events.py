"""Events built with the official ``openlineage-python`` client, whose facet classes are
generated from the OpenLineage JSON schemas (spec 2-0-2 and the facet schemas), are
accepted as Marquez accepts them, facets and column-lineage transformation types kept."""

import uuid

import pytest
from openlineage.client import event_v2
from openlineage.client.generated import (
    column_lineage_dataset,
    datasource_dataset,
    documentation_dataset,
    error_message_run,
    job_type_job,
    lifecycle_state_change_dataset,
    nominal_time_run,
    output_statistics_output_dataset,
    ownership_dataset,
    parent_run,
    processing_engine_run,
    schema_dataset,
    sql_job,
    symlinks_dataset,
    tags_dataset,
)
from openlineage.client.serde import Serde

from lineage.models import FieldLineageEdge, JobRun, OpenLineageEvent
from tests.harvesters.kinds.test_openlineage import api  # noqa: F401 - fixture

NS = "postgres://db:5432"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"


def _post(client, event) -> dict:
    response = client.post("/api/v1/lineage", Serde.to_json(event), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def _run_event(event_type: str, run_id: str, time: str) -> event_v2.RunEvent:
    cl = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "total": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=NS,
                        name="shop.public.raw_orders",
                        field="amount",
                        transformations=[
                            column_lineage_dataset.Transformation(
                                type="DIRECT", subtype="AGGREGATION", description="sum"
                            ),
                        ],
                    ),
                    column_lineage_dataset.InputField(
                        namespace=NS,
                        name="shop.public.raw_orders",
                        field="status",
                        transformations=[
                            column_lineage_dataset.Transformation(type="INDIRECT", subtype="FILTER")
                        ],
                    ),
                ]
            )
        }
    )
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name="total", type="numeric"),
            schema_dataset.SchemaDatasetFacetFields(name="day", type="date"),
        ]
    )
    output = event_v2.OutputDataset(
        namespace=NS,
        name="shop.public.daily",
        facets={
            "schema": schema,
            "columnLineage": cl,
            "documentation": documentation_dataset.DocumentationDatasetFacet(description="Daily"),
            "dataSource": datasource_dataset.DatasourceDatasetFacet(name=NS, uri=NS),
            "ownership": ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name="team:finance", type="team")]
            ),
            "symlinks": symlinks_dataset.SymlinksDatasetFacet(
                identifiers=[
                    symlinks_dataset.Identifier(namespace="hive", name="daily", type="TABLE")
                ]
            ),
            "tags": tags_dataset.TagsDatasetFacet(
                tags=[tags_dataset.TagsDatasetFacetFields(key="pii", value="no")]
            ),
            "lifecycleStateChange": lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
                lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange.OVERWRITE
            ),
        },
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=10, size=1000
            )
        },
    )
    run_facets = {
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime="2026-11-01T00:00:00Z", nominalEndTime="2026-11-02T00:00:00Z"
        ),
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(uuid.uuid4())),
            job=parent_run.Job(namespace="airflow", name="dag"),
        ),
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version="3.5", name="spark", openlineageAdapterVersion="1.54.0"
        ),
    }
    if event_type == "FAIL":
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message="boom", programmingLanguage="python"
        )
    return event_v2.RunEvent(
        eventType=getattr(event_v2.RunState, event_type),
        eventTime=time,
        run=event_v2.Run(runId=run_id, facets=run_facets),
        job=event_v2.Job(
            namespace="etl",
            name="daily_totals",
            facets={
                "sql": sql_job.SQLJobFacet(query="select 1"),
                "jobType": job_type_job.JobTypeJobFacet(
                    processingType="BATCH", integration="SPARK", jobType="JOB"
                ),
            },
        ),
        inputs=[event_v2.InputDataset(namespace=NS, name="shop.public.raw_orders")],
        outputs=[output],
        producer=PRODUCER,
    )


@pytest.mark.parametrize("final", ["COMPLETE", "FAIL"])
def test_client_run_events_are_accepted_with_their_facets(api, final):  # noqa: F811
    run_id = str(uuid.uuid4())
    _post(api, _run_event("START", run_id, "2026-11-01T03:00:00.000Z"))
    _post(api, _run_event(final, run_id, "2026-11-01T03:05:00"))  # no offset: UTC
    run = JobRun.objects.get(run_id=run_id)
    assert run.state == final
    assert run.ended_at.isoformat() == "2026-11-01T03:05:00+00:00"
    assert set(
        FieldLineageEdge.objects.values_list("upstream__name", "transformation", "subtype")
    ) == {("amount", "DIRECT", "AGGREGATION"), ("status", "INDIRECT", "FILTER")}
    payload = OpenLineageEvent.objects.filter(event_type="START").get().payload
    facets = payload["outputs"][0]["facets"]
    assert {"symlinks", "lifecycleStateChange", "tags"} <= set(facets)
    assert payload["run"]["facets"]["processing_engine"]["name"] == "spark"


def test_client_dataset_and_job_events_are_accepted(api):  # noqa: F811
    dataset = event_v2.DatasetEvent(
        eventTime="2026-11-01T03:00:00Z",
        producer=PRODUCER,
        dataset=event_v2.StaticDataset(namespace=NS, name="shop.public.static"),
    )
    job = event_v2.JobEvent(
        eventTime="2026-11-01T03:00:00Z",
        producer=PRODUCER,
        job=event_v2.Job(namespace="etl", name="static_job"),
        inputs=[event_v2.InputDataset(namespace=NS, name="shop.public.static")],
        outputs=[],
    )
    _post(api, dataset)
    _post(api, job)
    assert set(OpenLineageEvent.objects.values_list("kind", flat=True)) == {"dataset", "job"}
