"""The ``lake`` source kind: files, folders, Delta and Iceberg tables (fsspec)."""
