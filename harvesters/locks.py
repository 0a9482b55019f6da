"""Per-source write locks, so concurrent writers of one source never collide.

On PostgreSQL :func:`lock_source` takes a transaction-level advisory lock keyed by the
source id (``pg_advisory_xact_lock(MESH_LOCK_CLASS, id)``): a second harvest of a
source, or a second batch of OpenLineage events (all attributed to the ``openlineage``
source), waits until the first commits instead of failing on a unique key. SQLite
already serializes writers (``BEGIN IMMEDIATE``), so it is a no-op there. Must be
called inside ``transaction.atomic()``; the lock is released at commit or rollback.
"""

from django.db import connection

MESH_LOCK_CLASS = 0x4D455348 & 0x7FFFFFFF  # "MESH": the first key of our advisory locks


def lock_source(source_id: int) -> None:
    """Block until this transaction holds the write lock of source ``source_id``."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [MESH_LOCK_CLASS, int(source_id)])


MESH_START_CLASS = 0x4D455354 & 0x7FFFFFFF  # "MEST": the lock deciding to start a run


def lock_source_start(source_id: int) -> None:
    """Block until this transaction holds the start lock of source ``source_id``: the
    decision "no run is going, start one" is taken by one process at a time (PostgreSQL;
    SQLite's ``BEGIN IMMEDIATE`` transactions already serialize it). A different lock
    from :func:`lock_source`, so it never waits for a running harvest."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [MESH_START_CLASS, int(source_id)])
