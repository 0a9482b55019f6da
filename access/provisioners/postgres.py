"""The PostgreSQL provisioner: ``GRANT``/``REVOKE`` on the port's tables and views.

Options (``MESH_ACCESS_PROVISIONERS["postgres"]``): ``url`` — a libpq URL of the
warehouse server without database (``postgresql://admin@db:5432``; env
``MESH_ACCESS_PG_URL``), ``connect_timeout`` seconds (default 5). The database is the
port's ``server["database"]`` or the first part of its asset's qualified name
(``database.schema.table``); objects are the policy's ``grant_objects``
(``schema.table``, or ``database.schema.table`` naming the database too) or the
asset's ``schema.table``. Identifiers are quoted with
:mod:`psycopg.sql`, never built as strings. Read grants ``SELECT``, write grants
``SELECT, INSERT, UPDATE, DELETE``; schema ``USAGE`` is granted (and left in place on
revoke, since other grants may need it).
"""

import psycopg
from psycopg import sql

from access.provisioners import Outcome, Provisioner, ProvisioningError

PRIVILEGES = {"read": ["SELECT"], "write": ["SELECT", "INSERT", "UPDATE", "DELETE"]}


def port_objects(request) -> tuple[str, list[tuple[str, str]]]:
    """``(database, [(schema, table), ...])`` of the request's port; raises
    ProvisioningError naming what is missing."""
    port = request.port
    asset = port.asset
    parts = asset.qualified_name.split(".") if asset is not None else []
    database = (port.server or {}).get("database") or (parts[0] if len(parts) == 3 else "")
    try:
        names = list(port.access_policy.grant_objects or [])
    except Exception:  # no policy row
        names = []
    if not names and len(parts) >= 2:
        names = [".".join(parts[-2:])]
    objects = []
    for name in names:
        bits = str(name).split(".")
        if len(bits) == 3:  # database.schema.table names the database too
            database = bits[0]
        schema, table = (bits[-2] if len(bits) > 1 else ""), bits[-1]
        objects.append((schema or (port.server or {}).get("schema") or "public", table))
    if not database or not objects:
        raise ProvisioningError(
            f"port {port.name!r}: no database or table to grant on "
            "(bind the port to a harvested table or set the policy's objects)"
        )
    return database, objects


class PostgresProvisioner(Provisioner):
    """Grants on a PostgreSQL server (see the module docstring)."""

    name = "postgres"

    def __init__(self, url: str = "", connect_timeout: int = 5, **options):
        self.url = url.rstrip("/")
        self.connect_timeout = int(connect_timeout)

    def _statements(self, request, grant: bool) -> tuple[str, list[sql.Composed]]:
        database, objects = port_objects(request)
        role = sql.Identifier(request.role)
        privileges = sql.SQL(", ").join(sql.SQL(p) for p in PRIVILEGES[request.level])
        statements = []
        for schema in dict.fromkeys(s for s, _ in objects):
            if grant:
                statements.append(
                    sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role)
                )
        for schema, table in objects:
            target = sql.Identifier(schema, table)
            template = "GRANT {} ON TABLE {} TO {}" if grant else "REVOKE {} ON TABLE {} FROM {}"
            statements.append(sql.SQL(template).format(privileges, target, role))
        return database, statements

    def _run(self, request, grant: bool) -> Outcome:
        if not self.url:
            raise ProvisioningError("the postgres provisioner has no url (MESH_ACCESS_PG_URL)")
        database, statements = self._statements(request, grant)
        try:
            with psycopg.connect(
                f"{self.url}/{database}", connect_timeout=self.connect_timeout
            ) as conn:
                texts = [s.as_string(conn) for s in statements]
                with conn.transaction():
                    for statement in statements:
                        conn.execute(statement)
        except psycopg.Error as exc:
            message = (getattr(exc, "diag", None) and exc.diag.message_primary) or str(exc)
            raise ProvisioningError(f"PostgreSQL refused: {message.strip()}") from None
        return Outcome(done=True, statements=texts)

    def grant(self, request) -> Outcome:
        """Run the GRANT statements in one transaction; returns them."""
        return self._run(request, grant=True)

    def revoke(self, request) -> Outcome:
        """Run the REVOKE statements in one transaction (revoking what is not granted is a
        no-op in PostgreSQL, so this is idempotent)."""
        return self._run(request, grant=False)
