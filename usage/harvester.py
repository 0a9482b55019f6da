"""The ``usage`` source kind: usage metrics from query logs (registered by
:class:`usage.apps.UsageConfig` into :data:`harvesters.registry.HARVESTERS`).

It yields lineage records for the statements that write (``INSERT … SELECT``, ``CREATE
TABLE … AS``, ``MERGE``, ``UPDATE … FROM``): their edges are stored with this source as
origin, like any harvested edge. Usage counts are written by :func:`usage.store.store_usage`
in the run's transaction, replacing this source's rows for the days the log covers.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import FieldLineageRecord, LineageRecord, Record
from harvesters.sqlparsing.dialects import sqlglot_dialect
from usage.aggregate import UsageAggregator
from usage.csvlog import read_pg_csvlog
from usage.readers import read_pg_stat_statements, read_query_log


class UsageHarvesterConfig(HarvesterConfig):
    """Config of a ``usage`` source (unknown keys are refused); see the README's table."""

    mode: Literal["query-log", "pg_stat_statements", "pg-csvlog"] = "query-log"
    path: str | None = Field(
        None, description="query-log: the JSON-lines file; pg-csvlog: a .csv log or its folder"
    )
    url: str | None = Field(
        None, description="pg_stat_statements: postgresql:// URL (pg-csvlog: for the namespace)"
    )
    namespace: str | None = Field(
        None, description="URN namespace of the tables queried, e.g. sqlite://Chinook_Sqlite"
    )
    platform: str | None = Field(None, description="SQL dialect: postgres, snowflake, ...")
    default_database: str = ""
    default_schema: str = ""
    databases: list[str] | None = None
    max_lines: int | None = Field(None, ge=1)
    max_statements: int = Field(100_000, ge=1)

    @model_validator(mode="after")
    def _needs_input(self):
        if self.mode == "query-log" and not (self.path and self.namespace):
            raise ValueError("mode query-log needs 'path' and 'namespace'")
        if self.mode == "pg_stat_statements" and not self.url:
            raise ValueError("mode pg_stat_statements needs 'url'")
        if self.mode == "pg-csvlog" and not (self.path and (self.namespace or self.url)):
            raise ValueError("mode pg-csvlog needs 'path' and 'namespace' (or the server's 'url')")
        return self

    def urn_namespace(self) -> str:
        """``namespace``, or for PostgreSQL ``postgres://<host>:<port>`` from ``url``
        (the ``sql`` harvester's namespace for the same server)."""
        if self.namespace:
            return self.namespace
        parts = urlsplit(self.url.replace("+psycopg", "", 1))
        return f"postgres://{parts.hostname or 'localhost'}:{parts.port or 5432}"


class UsageHarvester(Harvester):
    """Reads a query log, stores usage metrics and yields the lineage of write queries."""

    kind = "usage"
    config_class = UsageHarvesterConfig
    stale_removal = True  # only this source's lineage edges; it reports no assets

    def records(self) -> Iterator[Record]:
        """Yield LineageRecord / FieldLineageRecord of write statements between tables
        the catalog knows; store usage (when run by the runner). Raises HarvestError
        when the log or server cannot be read."""
        from usage.store import resolve_tables, store_usage  # models: after apps load

        cfg = self.config
        postgres = cfg.url or cfg.mode == "pg-csvlog"
        dialect = sqlglot_dialect(cfg.platform or ("postgres" if postgres else ""))
        aggregator = UsageAggregator(self.report, dialect, cfg.default_database, cfg.default_schema)
        started = time.monotonic()
        if cfg.mode == "query-log":
            read_query_log(cfg.path, aggregator, self.report, cfg.max_lines)
        elif cfg.mode == "pg-csvlog":
            read_pg_csvlog(
                cfg.path, aggregator, self.report, cfg.databases,
                cfg.default_schema or "public", cfg.max_lines,
            )  # fmt: skip
        else:
            read_pg_stat_statements(
                cfg.url, aggregator, self.report, cfg.databases,
                cfg.default_schema or "public", cfg.max_statements,
            )  # fmt: skip
        read = time.monotonic()
        aggregator.parse_all()
        parsed = time.monotonic()
        usage = aggregator.tables()
        namespace = cfg.urn_namespace()
        tables = resolve_tables(namespace, usage, self.report)
        if self.source is not None:
            store_usage(self.source, usage, tables, datetime.now(UTC), self.report)
        counts = self.report.counts
        counts["read_seconds"] = round(read - started, 3)
        counts["parse_seconds"] = round(parsed - read, 3)
        counts["store_seconds"] = round(time.monotonic() - parsed, 3)
        for (up, down), _days in sorted(usage.edges.items()):
            if tables[up].asset_id and tables[down].asset_id:
                yield LineageRecord(tables[up].urn, tables[down].urn)
        for up, up_col, down, down_col, subtype in sorted(usage.field_edges):
            up_t, down_t = tables[up], tables[down]
            if up_t.asset_id and down_t.asset_id:
                up_name = up_t.fields.get(up_col.lower())
                down_name = down_t.fields.get(down_col.lower())
                if up_name and down_name:
                    yield FieldLineageRecord(
                        up_t.urn, up_name, down_t.urn, down_name, "DIRECT", subtype
                    )
