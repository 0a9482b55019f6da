"""SLO measurements in words, with their unit and limit.

``describe(slo, value)`` → ``"age 2 d 3 h (limit 1 d)"``, ``"1,204 rows (expected
1,000–5,000)"``, ``"null share 0.4% (limit 1%)"``, ``"pass rate 95% (at least 99%)"``,
``"reachable"``. Units per kind follow :class:`products.models.SLISample`: seconds of
age, rows, null share (0..1), pass rate (0..1), 1/0 reachable.
"""


def duration(seconds: float) -> str:
    """``seconds`` as the two largest units: ``2 d 3 h``, ``5 h 12 min``, ``42 s``."""
    seconds = max(0, int(round(seconds)))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.3g}%"


def describe(slo, value: float | None) -> str:
    """One measured ``value`` of ``slo`` (an :class:`products.models.SLO`) in words."""
    if value is None:
        return "no value"
    kind = slo.kind
    if kind == "freshness":
        limit = f" (limit {duration(slo.threshold)})" if slo.threshold is not None else ""
        return f"age {duration(value)}{limit}"
    if kind == "volume":
        low = f"{slo.min_value:,.0f}" if slo.min_value is not None else "0"
        high = f"{slo.max_value:,.0f}" if slo.max_value is not None else "∞"
        return f"{value:,.0f} rows (expected {low}–{high})"
    if kind == "completeness":
        return f"null share {_share(value)} (limit {_share(slo.threshold)})"
    if kind == "quality":
        return f"pass rate {_share(value)} (at least {_share(slo.threshold)})"
    if kind == "availability":
        return "reachable" if value >= 1 else "unreachable"
    return f"{value:g}"


def check_message(slo, sample) -> str:
    """The "Check now" message: SLO name and kind, the measurement, good or bad."""
    verdict = "within the SLO" if sample.good else "outside the SLO"
    return f"{slo.name} ({slo.kind}): measured {describe(slo, sample.value)}, {verdict}."
