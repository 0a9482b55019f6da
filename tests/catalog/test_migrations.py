"""The provenance models' move to ``catalog`` keeps every row of an existing database.

Migrates a real database back to the schema before the move (``catalog.0001``,
``harvesters.0001``, ``lineage.0003``), writes sources, runs, provenance, lineage edges,
OpenLineage events, a permission and an admin log entry through the historical models,
migrates forward and reads them back through today's models.
"""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("catalog", "0001_initial"),
    ("harvesters", "0001_initial"),
    ("lineage", "0003_drop_redundant_edge_indexes"),
]
#: apps created after the move (their tables need ``catalog.Source``): unapplied first
AFTER_THE_MOVE = ("usage", "governance", "notifications")


def _before():
    """``BEFORE`` plus every other app at its latest migration."""
    moved = {app for app, _ in BEFORE} | set(AFTER_THE_MOVE)
    return BEFORE + [node for node in _leaves() if node[0] not in moved]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if any(app not in {a for a, _ in targets} for app in AFTER_THE_MOVE):
        executor.migrate([(app, None) for app in AFTER_THE_MOVE])
        executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_provenance_move_keeps_rows_relations_and_content_types():
    old = _migrate(_before())
    Asset = old.get_model("catalog", "Asset")
    Field = old.get_model("catalog", "Field")
    Source = old.get_model("harvesters", "Source")
    HarvestRun = old.get_model("harvesters", "HarvestRun")
    AssetSource = old.get_model("harvesters", "AssetSource")
    LineageEdge = old.get_model("lineage", "LineageEdge")
    FieldLineageEdge = old.get_model("lineage", "FieldLineageEdge")
    OpenLineageEvent = old.get_model("lineage", "OpenLineageEvent")
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    User = old.get_model("auth", "User")
    LogEntry = old.get_model("admin", "LogEntry")

    now = timezone.now()
    src = Source.objects.create(name="warehouse", kind="sql", config={"url": "sqlite:///x.db"})
    run = HarvestRun.objects.create(source=src, status="succeeded", counts={"datasets": 2})
    a, b = (
        Asset.objects.create(
            urn=f"urn:mc:dataset:sqlite://x/{n}",
            kind="dataset",
            type="table",
            name=n,
            qualified_name=n,
            namespace="sqlite://x",
            platform="sqlite",
        )
        for n in ("orders", "daily")
    )
    fa = Field.objects.create(asset=a, name="id")
    fb = Field.objects.create(asset=b, name="id")
    AssetSource.objects.create(asset=a, source=src, last_run=run)
    LineageEdge.objects.create(key="e1", upstream=a, downstream=b, origin=src, run=run)
    FieldLineageEdge.objects.create(key="f1", upstream=fa, downstream=fb, origin=src, run=run)
    OpenLineageEvent.objects.create(
        event_hash="h1", event_time=now, run_id=uuid.uuid4(), payload={}, origin=src
    )
    ct, _ = ContentType.objects.get_or_create(app_label="harvesters", model="source")
    perm, _ = Permission.objects.get_or_create(
        content_type=ct, codename="harvest_source", defaults={"name": "Can harvest source"}
    )
    user = User.objects.create(username="ops")
    user.user_permissions.add(perm)
    LogEntry.objects.create(
        user=user,
        content_type=ct,
        object_id=str(src.pk),
        object_repr="warehouse",
        action_flag=1,
        action_time=now,
    )

    _migrate(_leaves())

    from django.contrib.admin.models import LogEntry as NewLogEntry
    from django.contrib.auth.models import User as NewUser
    from django.contrib.contenttypes.models import ContentType as NewContentType

    from catalog.models import AssetSource as NewAssetSource
    from catalog.models import HarvestRun as NewRun
    from catalog.models import Source as NewSource
    from lineage.models import FieldLineageEdge as NewFieldEdge
    from lineage.models import LineageEdge as NewEdge
    from lineage.models import OpenLineageEvent as NewEvent

    NewContentType.objects.clear_cache()
    source = NewSource.objects.get(name="warehouse")
    assert source.pk == src.pk and source.config == {"url": "sqlite:///x.db"}
    assert NewRun.objects.get(pk=run.pk).counts == {"datasets": 2}
    link = NewAssetSource.objects.select_related("asset", "last_run").get(source=source)
    assert (link.asset.name, link.last_run_id) == ("orders", run.pk)
    edge = NewEdge.objects.select_related("origin", "run").get(key="e1")
    assert (edge.origin.name, edge.run.pk, edge.downstream.name) == ("warehouse", run.pk, "daily")
    assert NewFieldEdge.objects.get(key="f1").origin == source
    assert NewEvent.objects.get(event_hash="h1").origin == source
    assert list(source.runs.values_list("pk", flat=True)) == [run.pk]

    moved = NewContentType.objects.get_for_model(NewSource)
    assert (moved.pk, moved.app_label) == (ct.pk, "catalog")
    moved_models = ["source", "harvestrun", "assetsource"]
    assert not NewContentType.objects.filter(
        app_label="harvesters", model__in=moved_models
    ).exists()
    ops = NewUser.objects.get(username="ops")
    assert ops.has_perm("catalog.harvest_source")
    entry = NewLogEntry.objects.get(object_id=str(src.pk))
    assert entry.get_edited_object() == source
