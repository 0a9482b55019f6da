"""The ``push`` source kind: a Source that pushed assets are attributed to.

Assets arrive over HTTP (:mod:`harvesters.kinds.push.api`), so the config is empty
(``{}``) and the harvester yields nothing. Running it is harmless: the kind has no stale
removal on runs (``stale_removal = False``); a push with ``complete=true`` does its own.
"""

from collections.abc import Iterator

from harvesters.base import Harvester, HarvesterConfig
from harvesters.records import Record


class PushConfig(HarvesterConfig):
    """No settings: assets arrive over HTTP."""


class PushHarvester(Harvester):
    """Placeholder harvester of kind ``push`` (pushed assets, nothing to crawl)."""

    kind = "push"
    config_class = PushConfig
    stale_removal = False  # an empty "harvest now" says nothing about pushed assets

    def records(self) -> Iterator[Record]:
        """Yields nothing: pushes are stored by :mod:`harvesters.kinds.push.ingest`."""
        return iter(())
