"""The latest data-quality results of an asset, for its page and its API.

Harvesters store every outcome (:class:`catalog.models.QualityResult`: dbt test results
from ``run_results.json``, OpenLineage ``dataQualityAssertions``); readers want the
newest outcome of each check: :func:`latest_results`.
"""

from collections import Counter

from catalog.models import Asset, QualityResult


def latest_results(asset: Asset) -> list[QualityResult]:
    """The newest result of each check (name, column) of ``asset``, failures first,
    then by column and name."""
    seen: set[tuple[str, str]] = set()
    latest: list[QualityResult] = []
    for result in QualityResult.objects.filter(asset=asset).order_by("-recorded_at", "-id"):
        key = (result.name, result.field_name)
        if key not in seen:
            seen.add(key)
            latest.append(result)
    order = {"fail": 0, "error": 1, "warn": 2}
    return sorted(latest, key=lambda r: (order.get(r.status, 3), r.field_name, r.name))


def summary(results: list[QualityResult]) -> dict[str, int]:
    """``{status: count}`` of ``results`` (e.g. ``{"pass": 18, "fail": 2}``)."""
    return dict(Counter(r.status for r in results))


def as_dict(result: QualityResult) -> dict:
    """``{name, field, check_type, status, executed_at, origin}`` of one result."""
    return {
        "name": result.name,
        "field": result.field_name or None,
        "check_type": result.check_type,
        "status": result.status,
        "executed_at": result.executed_at,
        "origin": result.origin,
    }
