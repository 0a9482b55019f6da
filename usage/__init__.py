"""Usage metrics: who queries which data, how often, and what it feeds (issue 14).

The ``usage`` source kind reads query logs (a JSON-lines file or PostgreSQL's
``pg_stat_statements``), parses each distinct query once with the SQL lineage parser and
stores per-asset, per-day usage; popularity scores derived from it feed search ranking.
"""
