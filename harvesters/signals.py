"""Signals the harvesters app sends; upper layers (products, ...) connect receivers.

Defined here, by the sender, so that the harvesters app never imports the apps that
listen. A finished harvest is announced by Django's own ``post_save`` of
:class:`catalog.models.HarvestRun` (``ended_at`` set).
"""

from django.dispatch import Signal

openlineage_runs_stored = Signal()
"""Sent robustly after an OpenLineage batch commits, by
:func:`harvesters.kinds.openlineage.ingest.ingest_events`; sender
:class:`lineage.models.JobRun`; kwargs ``updates``: the batch's
:class:`harvesters.kinds.openlineage.convert.RunUpdate` list (``job_urn``,
``event_type``, ...)."""

run_changes_recorded = Signal()
"""Sent robustly after a harvest run's change set (its diff) is stored; sender
:class:`catalog.models.HarvestRun`; kwargs ``run`` (the run) and ``changes``: a list of
dicts ``{"kind": "asset_added"|"asset_removed"|"asset_changed"|"schema_changed"|
"edge_added"|"edge_removed", "urn": str, "detail": dict}``; a ``schema_changed`` detail
holds ``added``, ``removed`` (column names), ``type_changed`` (``[name, old, new]``
lists) and ``breaking`` (bool: a column removed or its type changed). Sent by
:func:`harvesters.changes.announce_changes` after a run that did not fail: a big change
set arrives in several sends of up to 1,000 changes each (bounded memory); breaking is
judged on the schema alone (contracts live above this app: their receivers decide). The
stored change set is ``harvesters.models.RunChange`` / ``GET /api/v1/runs/<id>/changes``."""

quality_results_stored = Signal()
"""Sent robustly after data-quality results (dbt tests, OpenLineage assertions) are
written; sender :class:`catalog.models.Asset`; kwargs ``results``: a list of dicts
``{"asset_urn": str, "name": str, "status": "pass"|"fail"|"warn"|"error"|"skipped",
"when": datetime}``."""

assets_restored = Signal()
"""Sent robustly after soft-deleted assets of a run are restored (an undo, by
:func:`harvesters.services.restore_run_assets`); sender
:class:`catalog.models.HarvestRun`; kwargs ``run``, ``actor`` (the user) and ``urns``
(the restored assets). The audit trail records it."""
