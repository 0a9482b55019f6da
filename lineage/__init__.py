"""Lineage: dataset and field edges in SQL, graph traversal and impact analysis."""
