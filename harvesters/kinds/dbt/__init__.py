"""The ``dbt`` source kind: manifest, catalog and run results of a dbt project."""
