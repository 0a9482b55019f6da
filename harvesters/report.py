"""The run report a harvester fills: counts, warnings and per-item errors."""

from collections import Counter
from dataclasses import dataclass, field

MAX_ITEMS = 500


@dataclass
class HarvestReport:
    """Collects what happened during one run; saved on the ``HarvestRun`` row.

    ``warnings``/``errors`` are lists of ``{"item": str, "message": str}``, capped at
    :data:`MAX_ITEMS` each (the overflow is counted in ``counts["warnings_dropped"]`` /
    ``counts["errors_dropped"]``).
    """

    counts: Counter = field(default_factory=Counter)
    warnings: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def warn(self, item: str, message: str) -> None:
        """Record a warning about ``item`` (a file, table, statement...)."""
        self._add(self.warnings, "warnings_dropped", item, message)

    def error(self, item: str, message: str) -> None:
        """Record a per-item error: ``item`` was skipped for ``message``."""
        self._add(self.errors, "errors_dropped", item, message)

    def _add(self, target: list[dict], overflow_key: str, item: str, message: str) -> None:
        if len(target) < MAX_ITEMS:
            target.append({"item": str(item), "message": str(message)})
        else:
            self.counts[overflow_key] += 1
