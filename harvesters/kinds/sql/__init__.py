"""The ``sql`` source kind: relational databases through SQLAlchemy."""
