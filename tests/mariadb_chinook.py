"""Loads the Chinook sample into the local MariaDB server (database ``chinook``).

There is no MySQL Chinook script in the shared datasets, so :func:`ensure_chinook`
converts the SQLite one: it reflects ``Chinook_Sqlite.sqlite`` with SQLAlchemy, creates
the same 11 tables (columns, primary and foreign keys) in MariaDB and copies the rows,
unless database ``chinook`` already holds its 11 tables. The load runs under a MariaDB
named lock (``GET_LOCK``), so parallel test processes wait for each other. Raises
RuntimeError (the test then fails, it is never skipped) if the server is down or the
load fails. ``MESH_TEST_MARIADB`` names the server (default
``mysql+pymysql://mesh@127.0.0.1:3306``, the account ``services/mariadb.sh`` creates).
"""

import os
from pathlib import Path

import sqlalchemy as sa

SERVER = os.environ.get("MESH_TEST_MARIADB", "mysql+pymysql://mesh@127.0.0.1:3306")
DATABASE = "chinook"
EXPECTED_TABLES = 11


def _tables(conn) -> int:
    return conn.execute(
        sa.text(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = :db AND table_type = 'BASE TABLE'"
        ),
        {"db": DATABASE},
    ).scalar_one()


def ensure_chinook(sqlite_file: Path) -> str:
    """Make sure MariaDB database ``chinook`` holds the Chinook tables and rows; return
    its SQLAlchemy URL."""
    server = sa.create_engine(SERVER, connect_args={"connect_timeout": 5})
    try:
        admin = server.connect()
    except sa.exc.OperationalError as exc:
        raise RuntimeError(f"MariaDB is not reachable at {SERVER}: {exc.orig}") from None
    url = f"{SERVER.rstrip('/')}/{DATABASE}?charset=utf8mb4"
    with admin:
        admin.execute(sa.text("SELECT GET_LOCK('mesh_chinook_load', 300)"))
        try:
            if _tables(admin) == EXPECTED_TABLES:
                return url
            admin.execute(sa.text(f"DROP DATABASE IF EXISTS `{DATABASE}`"))
            admin.execute(sa.text(f"CREATE DATABASE `{DATABASE}` CHARACTER SET utf8mb4"))
            _copy(f"sqlite:///{sqlite_file}", url)
            if _tables(admin) != EXPECTED_TABLES:
                raise RuntimeError(
                    "Chinook loaded into MariaDB but the 11 tables are not all there"
                )
            return url
        finally:
            admin.execute(sa.text("SELECT RELEASE_LOCK('mesh_chinook_load')"))
            server.dispose()


def _copy(source_url: str, target_url: str) -> None:
    """Create ``source_url``'s tables in ``target_url`` and copy every row."""
    source, target = sa.create_engine(source_url), sa.create_engine(target_url)
    metadata = sa.MetaData()
    metadata.reflect(source)
    try:
        metadata.create_all(target)
        with source.connect() as read, target.begin() as write:
            for table in metadata.sorted_tables:  # parents first (foreign keys)
                rows = [dict(r._mapping) for r in read.execute(table.select())]
                for start in range(0, len(rows), 2000):
                    write.execute(table.insert(), rows[start : start + 2000])
    finally:
        source.dispose()
        target.dispose()
