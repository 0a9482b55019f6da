"""OpenLineage intake, compatible with Marquez's ``POST /api/v1/lineage``.

Spec: https://openlineage.io/spec/2-0-2/OpenLineage.json. :mod:`.validation` checks
events, :mod:`.convert` turns them into harvest records, :mod:`.ingest` stores them,
:mod:`.samples` imports the sample events in the quickstart.
"""
