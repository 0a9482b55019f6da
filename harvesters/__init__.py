"""Harvesters: crawl sources (databases, dbt, OpenLineage, lakes) into the catalog."""
