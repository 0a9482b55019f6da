"""The ``usage`` kind live against the local PostgreSQL's ``pg_stat_statements`` (the
server runs with ``shared_preload_libraries=pg_stat_statements``, see services/up.sh):
Chinook loaded, queried by two roles, harvested by ``sql`` then by ``usage``. Fails,
never skips, when the server or the extension is missing."""

import psycopg

from catalog.models import Asset
from catalog.urns import dataset_urn
from tests.pg_chinook import SERVER, ensure_chinook
from usage.models import Popularity
from usage.queries import asset_usage

PG_NS = "postgres://127.0.0.1:5432"
ROLES = ("usage_alice", "usage_bob")


def query_as_roles() -> None:
    """usage_alice looks customers up by country 3 times, usage_bob joins customers and
    invoices twice (constants differ; pg_stat_statements folds them into one entry)."""
    # The extension lives in the server's ``postgres`` database (its view shows every
    # database's statements): in chinook's public schema its views would be harvested.
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute(
            "SELECT pg_stat_statements_reset(r.oid, d.oid, 0) FROM pg_roles r, pg_database d "
            "WHERE r.rolname = ANY(%s) AND d.datname = 'chinook'",
            (list(ROLES),),
        )
    with psycopg.connect(f"{SERVER}/chinook", autocommit=True) as conn:
        for role in ROLES:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {role}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute("SET ROLE usage_alice")
        for country in ("USA", "Canada", "France"):
            conn.execute(f"SELECT first_name, last_name FROM customer WHERE country = '{country}'")
        conn.execute("RESET ROLE")
        conn.execute("SET ROLE usage_bob")
        for total in (5, 10):
            conn.execute(
                "SELECT c.first_name, i.total FROM customer c JOIN invoice i "
                f"ON i.customer_id = c.customer_id WHERE i.total > {total}"
            )
        conn.execute("RESET ROLE")


def test_pg_stat_statements_harvest(make_source, harvest, samples):
    url = ensure_chinook(samples / "chinook" / "Chinook_PostgreSql.sql")
    assert harvest(make_source("chinook-pg", "sql", {"url": url})).status == "succeeded"
    query_as_roles()
    stats_url = url.rsplit("/", 1)[0] + "/postgres"  # read from the extension's database
    config = {"mode": "pg_stat_statements", "url": stats_url, "databases": ["chinook"]}
    run = harvest(make_source("chinook-pg-usage", "usage", config))
    assert run.status in ("succeeded", "partial"), run.errors
    assert not run.errors, run.errors
    customer = Asset.objects.get(urn=dataset_urn(PG_NS, "chinook.public.customer"))
    invoice = Asset.objects.get(urn=dataset_urn(PG_NS, "chinook.public.invoice"))
    usage = asset_usage(customer)
    mine = {u["user"]: u["queries"] for u in usage["top_users"] if u["user"] in ROLES}
    assert mine == {"usage_alice": 3, "usage_bob": 2}
    invoice_users = {u["user"]: u["queries"] for u in asset_usage(invoice)["top_users"]}
    assert invoice_users.get("usage_bob") == 2 and "usage_alice" not in invoice_users
    shapes = {q["query"] for q in usage["top_queries"]}
    assert "SELECT first_name, last_name FROM customer WHERE country = ?" in shapes
    assert Popularity.objects.get(asset=customer).score > 0


def test_pg_stat_statements_unreachable(make_source, harvest):
    config = {"mode": "pg_stat_statements", "url": "postgresql://postgres@127.0.0.1:1/x"}
    run = harvest(make_source("nowhere", "usage", config))
    assert run.status == "failed"
    assert run.errors[0]["message"].startswith("cannot read pg_stat_statements:")
