"""A list of ids as ONE bound parameter, for large ``IN`` filters.

``filter(asset_id__in=[...12,000 ids...])`` makes Django prepare every id through the
field (most of the time of an impact answer was spent there) and needs chunks below the
database's bound-parameter limit. :func:`id_set` passes the whole list as one JSON
(SQLite, ``json_each``) or array (PostgreSQL, ``unnest``) parameter instead; both
databases still use the column's index to look the ids up.
"""

import json
from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL


def id_set(ids: Iterable[int]) -> RawSQL | list[int]:
    """A subquery yielding the integer ``ids``, for ``filter(<column>__in=id_set(ids))``.

    SQLite: ``SELECT value FROM json_each(%s)`` with the ids as one JSON array;
    PostgreSQL: ``SELECT unnest(%s::bigint[])``; other databases get the plain list.
    Raises TypeError (from ``json.dumps``) for a value that is not a number."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))
    return ids
