"""The ``openlineage`` source kind: pipelines push OpenLineage events to us (Marquez-compatible
``POST /api/v1/lineage``), and they go through the same records and sink as every kind.

Spec: https://openlineage.io/spec/2-0-2/OpenLineage.json. :mod:`.harvester` is the kind's
class (empty config, nothing to crawl), :mod:`.api` the HTTP intake, :mod:`.auth` its
Bearer token, :mod:`.validation` checks events, :mod:`.convert` (with :mod:`.merge` and
:mod:`.sqlfacet`) turns them into harvest records, :mod:`.ingest` stores them and sends
:data:`harvesters.signals.openlineage_runs_stored`, :mod:`.samples` imports the sample
events in the quickstart; ``manage.py import_openlineage`` imports a file of events.
"""
