"""The harvesters app has no models of its own.

:class:`~catalog.models.Source`, :class:`~catalog.models.HarvestRun` and
:class:`~catalog.models.AssetSource` live in the lowest layer that uses them, the catalog
(tables still named ``harvesters_source``, ``harvesters_harvestrun``,
``harvesters_assetsource``; migration ``harvesters.0002`` moved them without touching
data). These names are re-exported for code written against the old location.
"""

from catalog.models import AssetSource, HarvestRun, Source

__all__ = ["AssetSource", "HarvestRun", "Source"]
