"""The catalog: assets (datasets, jobs, dashboards), their fields, tags and owners."""
