"""A generated query log over Chinook (SQLite) and the jaffle shop (DuckDB), with the
usage each statement should produce, and the bad lines a real log has."""

import json
from datetime import date, timedelta

CHINOOK = {"database": "Chinook_Sqlite", "default_schema": "main"}
JAFFLE = {"database": "jaffle_shop", "default_schema": "main"}


def line(query: str, user: str, day: date, hour: int = 9, rows=None, **where) -> str:
    """One JSON line of the generic query-log format."""
    item = {
        "query": query,
        "user": user,
        "start_time": f"{day.isoformat()}T{hour:02d}:00:00Z",
        "duration_ms": 12.5,
        **where,
    }
    if rows is not None:
        item["rows"] = rows
    return json.dumps(item) + "\n"


def chinook_log(today: date) -> bytes:
    """Statements on Chinook: yesterday alice 5 customer lookups (3 rows each); today bob
    3 customer⋈invoice joins, carol 2 track lookups, bob one INSERT … SELECT from Genre
    into Playlist, dave one query of an unknown table and one unparseable statement; plus
    a line that is not JSON (14), a non-UTF-8 line (15), a line without user (16), a
    line with an unknown key (17, used: alice reads Album) and a truncated last line (18)."""
    yesterday = today - timedelta(days=1)
    out = []
    for i, country in enumerate(["USA", "Canada", "France", "Brazil", "Germany"]):
        out.append(line(
            f"SELECT FirstName, LastName FROM Customer WHERE Country = '{country}'",
            "alice", yesterday, 9 + i, rows=3, **CHINOOK))  # fmt: skip
    for total in (5, 10, 15):
        out.append(line(
            "SELECT c.FirstName, i.Total FROM Customer c JOIN Invoice i "
            f"ON i.CustomerId = c.CustomerId WHERE i.Total > {total}",
            "bob", today, rows=7, **CHINOOK))  # fmt: skip
    for album in (1, 2):
        out.append(line(f"select Name from Track where AlbumId = {album}", "carol", today,
                        **CHINOOK))  # fmt: skip
    out.append(line(
        "INSERT INTO Playlist (PlaylistId, Name) SELECT GenreId + 100, Name FROM Genre",
        "bob", today, rows=25, **CHINOOK))  # fmt: skip
    out.append(line("SELECT * FROM audit_trail", "dave", today, **CHINOOK))
    out.append(line("SELEC oops FROM", "dave", today, **CHINOOK))
    out.append('{"query": "SELECT 1", "user"\n')  # not JSON
    out.append(b'{"query": "SELECT \xff", "user": "eve"}\n'.decode("latin-1"))
    out.append(json.dumps({"query": "SELECT * FROM Album", "start_time": "2026-01-01"}) + "\n")
    extra = json.loads(line("SELECT Title FROM Album", "alice", today, **CHINOOK))
    extra["warehouse"] = "wh1"
    out.append(json.dumps(extra) + "\n")
    out.append('{"query": "SELECT 1", "user": "eve", "start_ti')  # truncated: no newline
    text = "".join(out)
    return text.encode("latin-1")


def jaffle_log(today: date) -> bytes:
    """Statements on the jaffle shop today: dave 4 aggregations of orders, erin 2 joins
    of customers and orders."""
    out = [
        line("select customer_id, count(*) from orders where status = 'completed' "
             "group by customer_id", "dave", today, **JAFFLE)
        for _ in range(4)
    ]  # fmt: skip
    out += [
        line("select c.first_name, o.order_date from customers c "
             "join orders o on o.customer_id = c.customer_id", "erin", today, **JAFFLE)
        for _ in range(2)
    ]  # fmt: skip
    return "".join(out).encode()
