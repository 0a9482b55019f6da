"""The ``openlineage`` source kind: a Source that events are attributed to.

OpenLineage is pushed to us (``POST /api/v1/lineage``), not crawled, so this harvester
has an empty config (``{}``) and yields nothing; it exists so that the sources API and
the registry accept the kind. Running it is harmless: the kind has no stale removal
(``stale_removal = False``, see :func:`harvesters.runner.run_harvest`), so a run
succeeds and event-driven assets and edges stay.
"""

from collections.abc import Iterator

from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import Record


class OpenLineageConfig(HarvesterConfig):
    """No settings: events arrive over HTTP."""


class OpenLineageHarvester(Harvester):
    """Placeholder harvester of kind ``openlineage`` (pushed events, nothing to crawl)."""

    kind = "openlineage"
    config_class = OpenLineageConfig
    stale_removal = False  # pushed, not crawled: an empty run says nothing about the assets

    def records(self) -> Iterator[Record]:
        """Yields nothing: events are ingested by :mod:`harvesters.kinds.openlineage.ingest`."""
        return iter(())
