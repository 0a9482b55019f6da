"""Column lineage of dbt builds from their compiled SQL (part of the ``dbt`` harvester).

:class:`DbtLineageMixin` is mixed into :class:`harvesters.kinds.dbt.harvester.DbtHarvester`: it parses
each model's or snapshot's ``compiled_code`` with sqlglot
(:func:`harvesters.sqlparsing.lineage.parse_sql_lineage`, in worker processes for big projects
through :mod:`harvesters.sqlparsing.pool`) and resolves the columns it reads to the datasets the
harvester has yielded (``self.datasets``, by relation name ``db.schema.table``), giving
OpenLineage columnLineage-style field lineage records. It reads ``self.report``,
``self.dialect``, ``self.namespace()`` and ``self.datasets`` of the harvester.
"""

from collections.abc import Iterator

from django.conf import settings

from catalog.urns import dataset_urn
from harvesters.records import DatasetRecord, FieldLineageRecord
from harvesters.sqlparsing.pool import ParseFailure, parse_many


class DbtLineageMixin:
    """Field lineage of dbt builds; see the module docstring for what it needs."""

    def _parse_builds(self, builds: list[tuple[str, dict]]) -> Iterator[object]:
        """One item per build, in order: the parsed lineage of its compiled SQL (parsed
        in worker processes for big projects, see :mod:`harvesters.sqlparsing.pool`), or None
        when it has no SQL or the parser is unavailable (warned once)."""
        sqls = [node.get("compiled_code") or node.get("compiled_sql") or "" for _, node in builds]
        if not any(sqls) or self._sql_parser() is None:
            yield from (None for _ in sqls)
            return
        jobs = [
            (sql, node.get("database"), node.get("schema"))
            for (_, node), sql in zip(builds, sqls, strict=True)
            if sql
        ]
        results = parse_many(jobs, self.dialect, self._sql_schema())
        try:
            for sql in sqls:
                yield next(results) if sql else None
        finally:
            results.close()

    def _field_lineage(
        self, node: dict, sql: str, target: DatasetRecord, job: str, parsed: object = None
    ) -> Iterator[FieldLineageRecord]:
        """Field lineage of a build from its compiled SQL; ``parsed`` is its lineage
        parsed beforehand (or a :class:`harvesters.sqlparsing.pool.ParseFailure`), None = parse
        here."""
        uid = node["unique_id"]
        if parsed is None:
            parse_sql_lineage = self._sql_parser()
            if parse_sql_lineage is None:
                return
            try:
                lineage = parse_sql_lineage(
                    sql,
                    dialect=self.dialect,
                    default_database=node.get("database"),
                    default_schema=node.get("schema"),
                    schema=self._sql_schema(),
                )
            except Exception as exc:  # the parser's own errors must not abort the run
                self.report.warn(uid, f"compiled SQL could not be parsed: {exc}")
                return
        elif isinstance(parsed, ParseFailure):
            self.report.warn(uid, f"compiled SQL could not be parsed: {parsed}")
            return
        else:
            lineage = parsed
        for error in lineage.errors:
            self.report.warn(uid, f"compiled SQL could not be parsed: {error}")
        own = {f.name.lower(): f.name for f in target.fields or []}
        from harvesters.sqlparsing.lineage import field_edges

        for column, src in field_edges(lineage, settings.MESH_SQL_INDIRECT_LINEAGE):
            down = own.get(column.lower(), column)
            up_urn, up_field = self._resolve_column(src.table, src.column)
            yield FieldLineageRecord(
                upstream_urn=up_urn,
                upstream_field=up_field,
                downstream_urn=target.urn,
                downstream_field=down,
                transformation=getattr(src, "transformation", "") or "DIRECT",
                subtype=getattr(src, "subtype", "") or "",
                job_urn=job,
            )

    def _sql_parser(self):
        """:func:`harvesters.sqlparsing.lineage.parse_sql_lineage`, or None (warned once) if absent."""
        try:
            from harvesters.sqlparsing.lineage import parse_sql_lineage
        except ImportError as exc:
            if not getattr(self, "_parser_warned", False):
                self.report.warn("field lineage", f"SQL lineage parser unavailable: {exc}")
                self._parser_warned = True
            return None
        return parse_sql_lineage

    def _resolve_column(self, table: str, column: str) -> tuple[str, str]:
        """URN and field spelling of ``column`` in the relation ``table`` (db.schema.t)."""
        key = table.lower()
        record = self._by_relation().get(key)
        if record is None:
            database = table.split(".")[0] if table.count(".") >= 2 else None
            return dataset_urn(self.namespace(database), table), column
        columns = self._column_spellings.get(key)
        if columns is None:  # first spelling of each lower-cased name, bounded cache
            if len(self._column_spellings) >= 4096:
                self._column_spellings.clear()
            columns = self._column_spellings[key] = {}
            for f in record.fields or []:
                columns.setdefault(f.name.lower(), f.name)
        return record.urn, columns.get(column.lower(), column)

    def _by_relation(self) -> dict[str, DatasetRecord]:
        if not hasattr(self, "_relations"):
            self._relations = {r.qualified_name.lower(): r for r in self.datasets.values()}
        return self._relations

    def _sql_schema(self) -> dict:
        """``{database: {schema: {table: {column: type}}}}`` of every known relation, for
        resolving ``select *`` (types from catalog.json, ``UNKNOWN`` when absent)."""
        if not hasattr(self, "_schema"):
            schema: dict = {}
            for record in self.datasets.values():
                parts = record.qualified_name.split(".")
                if len(parts) != 3 or not record.fields:
                    continue
                db, sch, table = parts
                schema.setdefault(db, {}).setdefault(sch, {})[table] = {
                    f.name: f.native_type or "UNKNOWN" for f in record.fields
                }
            self._schema = schema
        return self._schema
