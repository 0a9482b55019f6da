"""Raw, portable multi-row writes for the harvest sink's hot paths.

Django's ``bulk_create``/``bulk_update`` build a model instance per row and prepare
every value through the field machinery; for hundreds of thousands of fields and
column-lineage edges that is most of a harvest's time. :class:`TableWriter` writes plain
tuples instead, with SQL that SQLite (≥ 3.24, for ``ON CONFLICT ... DO UPDATE``) and
PostgreSQL both accept: ``INSERT ... VALUES`` (SQLite: one prepared statement run
through ``executemany``; PostgreSQL: ``INSERT ... SELECT * FROM unnest(<one array per
column>)``, one short statement per 5,000 rows), optionally ``ON CONFLICT (<columns>) DO UPDATE SET c = excluded.c`` or
``DO NOTHING``, and ``UPDATE ... WHERE id = %s`` through ``executemany``.

Table and column names come from the model's ``_meta`` (quoted with
``connection.ops.quote_name``); values must already be database values: use
:func:`db_datetime` and :func:`db_json` for datetimes and JSON.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model

PG_ROWS = 5000  # rows per PostgreSQL INSERT ... SELECT FROM unnest(arrays)


def db_datetime(model: type[Model], field: str, value: datetime | None) -> Any:
    """``value`` as the database value of ``model.field`` (a DateTimeField)."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def db_json(value: Any) -> Any:
    """A JSON value (dict/list) as the database value of a JSONField (None → NULL)."""
    if value is None:
        return None
    return connection.ops.adapt_json_value(value, None)


def _json_text(value: Any) -> str | None:
    """A JSON parameter as JSON text (for a ``jsonb[]`` array element)."""
    if value is None:
        return None
    return json.dumps(getattr(value, "obj", value))  # psycopg's Jsonb wraps ``obj``


class TableWriter:
    """Writes rows of fixed ``columns`` (model field names) to ``model``'s table.

    ``columns`` are field names as on the model (``asset`` or ``asset_id`` for a foreign
    key: both mean its column). Rows are tuples in that order, already database values.
    """

    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        meta = model._meta
        qn = connection.ops.quote_name
        self.model = model
        self.table = qn(meta.db_table)
        self.columns = [self._column(model, c) for c in columns]
        self.names = [qn(c) for c in self.columns]
        self.qn = qn

    @staticmethod
    def _column(model: type[Model], name: str) -> str:
        meta = model._meta
        try:
            return meta.get_field(name).column
        except Exception:  # noqa: BLE001 - "asset_id" style attribute names
            for field in meta.concrete_fields:
                if field.attname == name:
                    return field.column
            raise

    def _cols(self, names: Iterable[str]) -> list[str]:
        return [self.qn(self._column(self.model, n)) for n in names]

    def insert(
        self,
        rows: Sequence[tuple],
        conflict: Sequence[str] = (),
        update: Sequence[str] = (),
    ) -> None:
        """``INSERT`` ``rows``; with ``conflict`` columns, ``ON CONFLICT`` either updates
        ``update`` columns from the new row or (``update`` empty) does nothing."""
        if not rows:
            return
        tail = ""
        if conflict:
            target = ", ".join(self._cols(conflict))
            if update:
                sets = ", ".join(f"{c} = excluded.{c}" for c in self._cols(update))
                tail = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
            else:
                tail = f" ON CONFLICT ({target}) DO NOTHING"
        head = f"INSERT INTO {self.table} ({', '.join(self.names)}) "
        if connection.vendor == "postgresql":
            # One array parameter per column: a short statement whatever the chunk size,
            # sent with server-side binding (arrays dumped by psycopg's C code; Django's
            # client-side cursors would quote them in Python). Same connection, same
            # transaction as Django's.
            import psycopg

            arrays = ", ".join(f"%s::{t}[]" for t in self._pg_types())
            sql = f"{head}SELECT * FROM unnest({arrays}){tail}"
            json_columns = self._json_columns()
            connection.ensure_connection()
            # wrap_database_errors: psycopg's UniqueViolation etc. surface as Django's
            # IntegrityError, which the callers' retries catch.
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
                for start in range(0, len(rows), PG_ROWS):
                    columns = [list(c) for c in zip(*rows[start : start + PG_ROWS], strict=True)]
                    for index in json_columns:
                        columns[index] = [_json_text(v) for v in columns[index]]
                    cursor.execute(sql, columns)
            return
        with connection.cursor() as cursor:
            one = "(" + ", ".join(["%s"] * len(self.names)) + ")"
            cursor.executemany(f"{head}VALUES {one}{tail}", rows)

    def _pg_types(self) -> list[str]:
        meta = self.model._meta
        fields = {f.column: f for f in meta.concrete_fields}
        return [fields[c].db_type(connection) for c in self.columns]

    def _json_columns(self) -> list[int]:
        meta = self.model._meta
        fields = {f.column: f for f in meta.concrete_fields}
        return [i for i, c in enumerate(self.columns) if isinstance(fields[c], JSONField)]

    def update(self, templates: Sequence[str], rows: Sequence[tuple], key: str = "id") -> None:
        """``UPDATE ... SET c1 = <t1>, c2 = <t2>... WHERE <key> = %s`` for every row.

        ``templates`` give one SQL expression per column of ``self.columns``, in order,
        with ``{col}`` standing for the quoted column (e.g. ``"COALESCE(%s, {col})"`` keeps
        the stored value when the parameter is NULL). Each row holds the parameters in
        order and the key value last. SQLite runs the statement once per row
        (``executemany``, in-process); PostgreSQL runs one ``UPDATE ... FROM
        unnest(<one array per column>)`` per 5,000 rows (one round trip, not one a row).
        """
        if not rows:
            return
        if connection.vendor == "postgresql":
            self._pg_update(templates, rows, key)
            return
        sets = ", ".join(
            f"{name} = {expr.format(col=name)}"
            for name, expr in zip(self.names, templates, strict=True)
        )
        sql = f"UPDATE {self.table} SET {sets} WHERE {self.qn(key)} = %s"
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def _pg_update(self, templates: Sequence[str], rows: Sequence[tuple], key: str) -> None:
        """PostgreSQL: the parameters of each column as one array, joined by ``key``."""
        import psycopg

        params: list[str] = []  # the columns of the unnest that carry a parameter
        sets = []
        for index, (name, expr) in enumerate(zip(self.names, templates, strict=True)):
            count = expr.count("%s")
            if count > 1:
                raise ValueError(f"template {expr!r}: at most one parameter")
            value = f"v.p{index}"
            if count:
                params.append(index)
            sets.append(f"{name} = {expr.replace('%s', value).format(col=f'{self.table}.{name}')}")
        types = self._pg_types()
        key_field = self.model._meta.get_field(key)
        arrays = [f"%s::{types[i]}[]" for i in params] + [f"%s::{key_field.db_type(connection)}[]"]
        aliases = ", ".join([f"p{i}" for i in params] + ["k"])
        sql = (
            f"UPDATE {self.table} SET {', '.join(sets)} "
            f"FROM unnest({', '.join(arrays)}) AS v({aliases}) "
            f"WHERE {self.table}.{self.qn(key_field.column)} = v.k"
        )
        json_columns = set(self._json_columns())
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            for start in range(0, len(rows), PG_ROWS):
                chunk = rows[start : start + PG_ROWS]
                columns = [list(c) for c in zip(*chunk, strict=True)]
                # rows hold only the parameters (in template order) and the key
                values = []
                for position, index in enumerate(params):
                    column = columns[position]
                    if index in json_columns:
                        column = [_json_text(v) for v in column]
                    values.append(column)
                values.append(columns[-1])
                cursor.execute(sql, values)
