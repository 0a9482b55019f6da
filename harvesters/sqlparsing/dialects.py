"""The one map from platform names to sqlglot dialects.

Keys are what our sources call an engine: OpenLineage / URN platform names
(``postgres``), SQLAlchemy dialect names (``postgresql``, ``mssql``, ``mariadb``) and dbt
adapter types (``sqlserver``, ``fabric``, ``databricks``...). Values are sqlglot dialect
names (https://sqlglot.com/sqlglot/dialects.html).
"""

from sqlglot.dialects.dialect import Dialect

SQLGLOT_DIALECTS = {
    "athena": "athena",
    "bigquery": "bigquery",
    "clickhouse": "clickhouse",
    "databricks": "databricks",
    "duckdb": "duckdb",
    "fabric": "tsql",
    "mariadb": "mysql",
    "materialize": "materialize",
    "mssql": "tsql",
    "mysql": "mysql",
    "oracle": "oracle",
    "postgres": "postgres",
    "postgresql": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "spark": "spark",
    "sqlite": "sqlite",
    "sqlserver": "tsql",
    "synapse": "tsql",
    "teradata": "teradata",
    "trino": "trino",
}


def sqlglot_dialect(name: object) -> str | None:
    """The sqlglot dialect for a platform, SQLAlchemy dialect or dbt adapter ``name``
    (case-insensitive), or None (generic SQL) for an unknown or empty name."""
    if not isinstance(name, str) or not name:
        return None
    return SQLGLOT_DIALECTS.get(name.lower())


def known_dialect(name: object) -> str | None:
    """``name`` (lower-cased) if sqlglot has a dialect of that name (``postgres``,
    ``snowflake``...), else its mapped dialect (:func:`sqlglot_dialect`), else None.
    For dialect names given by others (an OpenLineage ``sql`` facet). Never raises."""
    if not isinstance(name, str) or not name:
        return None
    try:
        if Dialect.get(name.lower()) is not None:
            return name.lower()
    except Exception:  # noqa: BLE001 - an odd name is simply not a dialect
        pass
    return sqlglot_dialect(name)
