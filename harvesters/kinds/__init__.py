"""Source kinds: one package per kind (``sql``, ``dbt``, ``lake``, ``openlineage``).

Each package has a ``harvester`` module with the kind's pydantic config class and its
:class:`harvesters.base.Harvester` subclass; :mod:`harvesters.registry` lists the classes.
"""
