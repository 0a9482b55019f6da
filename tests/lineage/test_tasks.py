"""The lineage Celery task, run eagerly (no broker): the SQL backend has nothing to copy."""

from lineage.tasks import rebuild_graph_task


def test_rebuild_graph_task_on_the_sql_backend_writes_nothing(db):
    assert rebuild_graph_task.delay().get() == 0
