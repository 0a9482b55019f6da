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
