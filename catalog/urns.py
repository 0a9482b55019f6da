"""URNs: stable identifiers for catalog assets, built on OpenLineage naming.

OpenLineage names a dataset by a *namespace* (its data source, ``scheme://authority``)
and a *name* (its path inside that source); see
https://openlineage.io/docs/spec/naming. A Mesh Catalog URN wraps that pair::

    urn:mc:dataset:<namespace>/<name>     e.g. urn:mc:dataset:postgres://db:5432/chinook.public.customer
    urn:mc:job:<namespace>/<name>         e.g. urn:mc:job:dbt://jaffle_shop/model.jaffle_shop.customers

Because every harvester derives the namespace the same way, a table seen by the SQL
harvester, by dbt and by an OpenLineage event is one asset. Namespaces used here:

* server databases: ``<scheme>://<host>:<port>``, name ``<database>.<schema>.<table>``;
* file databases (SQLite, DuckDB): ``<scheme>://<database>`` where ``<database>`` is the
  catalog name the engine reports (the file stem), name ``<database>.<schema>.<table>``;
* files and lakes: ``file://<host or empty>`` / ``s3://<bucket>``, name the path.
"""

import re
from urllib.parse import urlsplit

DATASET = "dataset"
JOB = "job"
DASHBOARD = "dashboard"
KINDS = (DATASET, JOB, DASHBOARD)
PREFIX = "urn:mc:"


def make_urn(kind: str, namespace: str, name: str) -> str:
    """Return the URN of an asset of ``kind`` ("dataset", "job", "dashboard").

    ``namespace`` and ``name`` follow OpenLineage naming. Raises ValueError if the kind
    is unknown or either part is empty.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown URN kind {kind!r}; expected one of {KINDS}")
    if not namespace or not name:
        raise ValueError("a URN needs a non-empty namespace and name")
    return f"{PREFIX}{kind}:{namespace.rstrip('/')}/{name}"


def dataset_urn(namespace: str, name: str) -> str:
    """Shorthand for ``make_urn("dataset", namespace, name)``."""
    return make_urn(DATASET, namespace, name)


def job_urn(namespace: str, name: str) -> str:
    """Shorthand for ``make_urn("job", namespace, name)``."""
    return make_urn(JOB, namespace, name)


def namespace_for_sqlalchemy_url(url: str, database: str | None = None) -> str:
    """Derive the OpenLineage namespace of a database from its SQLAlchemy URL.

    ``postgresql+psycopg://u@h:5432/db`` gives ``postgres://h:5432``; file databases
    (``sqlite``, ``duckdb``) give ``<scheme>://<database>`` with ``database`` the engine's
    catalog name (pass it in; defaults to the file stem).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    scheme = {"postgresql": "postgres", "mariadb": "mysql"}.get(scheme, scheme)
    if scheme in {"sqlite", "duckdb"}:
        if database is None:
            path = parts.path.lstrip("/") or "memory"
            database = path.rsplit("/", 1)[-1].split(".", 1)[0] or "memory"
        return f"{scheme}://{database}"
    default_ports = {"postgres": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}
    port = parts.port or default_ports.get(scheme)
    host = parts.hostname or "localhost"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def short_name(name: str) -> str:
    """The display name at the end of a qualified name or URN: its last dotted or slashed
    part (``jaffle_shop.main.customers`` and ``urn:mc:dataset:duckdb://jaffle_shop/
    jaffle_shop.main.customers`` → ``customers``; ``s3://b/lake/orders/`` → ``orders``);
    the whole ``name`` when that part is empty."""
    return re.split(r"[./]", name.rstrip("/"))[-1] or name
