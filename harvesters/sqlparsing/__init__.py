"""SQL parsing shared by the source kinds: lineage from SQL text (sqlglot), the
parse process pool, and the one map from platform names to sqlglot dialects."""
