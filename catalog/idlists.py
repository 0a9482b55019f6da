"""A list of ids as ONE bound parameter, for large ``IN`` filters: the ``in_ids`` lookup.

``filter(asset_id__in=[...12,000 ids...])`` makes Django prepare every id through the
field (most of the time of an impact answer was spent there) and needs chunks below the
database's bound-parameter limit. ``filter(asset_id__in_ids=ids)`` (:class:`InIds`,
registered on every field and relation at app start by :func:`install`) passes the whole
list as one parameter instead:

- PostgreSQL: ``asset_id = ANY(%s::bigint[])``, one index scan over the sorted array (a
  ``IN (SELECT unnest(...))`` subquery was planned as a hash aggregate plus a nested loop:
  3-4x slower for 12,000 ids);
- SQLite: ``asset_id IN (SELECT value FROM json_each(%s))``, the ids as one JSON array;
- other databases: a plain ``IN`` list.

Both databases use the column's index to look the ids up.
"""

import json

from django.db import models
from django.db.models.fields.related import ForeignObject


class InIds(models.Lookup):
    """``<column>__in_ids=<iterable of ints>``: the column is one of the ids (see the
    module docstring). An empty iterable matches nothing. Raises TypeError (from
    ``json.dumps`` / the driver) for a value that is not an integer."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        """The ids as a list of ints, not prepared one by one through the field."""
        return [int(i) for i in self.rhs]

    def as_sql(self, compiler, connection):
        """``lhs = ANY(%s)`` / ``lhs IN (SELECT value FROM json_each(%s))`` / ``IN (...)``."""
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]
        if connection.vendor == "sqlite":
            return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(ids)]
        if not ids:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]


def install() -> None:
    """Register :class:`InIds` on every model field and relation (idempotent)."""
    models.Field.register_lookup(InIds)
    ForeignObject.register_lookup(InIds)
