"""SLO arithmetic: judging samples, attainment, error budget, burn rate, status.

Definitions (per SLO, over its rolling window of ``window_days`` ending now):

* a sample is *good* when its value meets the SLO (:func:`judge`); an error sample (the
  measurement failed) is never good;
* ``attainment`` = good samples / all samples in the window (0..1);
* the *error budget* is the allowed bad share ``1 - objective``; ``budget_remaining`` =
  ``1 - bad_share / (1 - objective)`` (1 = untouched, 0 = spent, negative = overspent);
* ``burn_rate`` = bad share over the last ``lookback`` (default 1 day) divided by
  ``1 - objective``: 1 spends the budget exactly over the window, 2 twice as fast;
* status: ``no data`` without samples; ``breached`` when attainment < objective;
  ``at risk`` when met but budget_remaining < 0.25 or burn_rate > 1; else ``met``.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from products.models import SLO, SLIKind, SLISample

AT_RISK_BUDGET = 0.25
DEFAULT_LOOKBACK = timedelta(days=1)


def judge(slo: SLO, value: float | None) -> bool:
    """Whether one SLI ``value`` meets ``slo``.

    freshness: value = age in seconds ≤ threshold; volume: min_value ≤ rows ≤ max_value
    (open bounds allowed); completeness: null share ≤ threshold (default 0); quality:
    pass rate ≥ threshold (default 1); availability: value ≥ 1 (reachable).
    """
    if value is None:
        return False
    if slo.kind == SLIKind.FRESHNESS:
        return slo.threshold is None or value <= slo.threshold
    if slo.kind == SLIKind.VOLUME:
        low_ok = slo.min_value is None or value >= slo.min_value
        return low_ok and (slo.max_value is None or value <= slo.max_value)
    if slo.kind == SLIKind.COMPLETENESS:
        return value <= (slo.threshold if slo.threshold is not None else 0.0)
    if slo.kind == SLIKind.QUALITY:
        return value >= (slo.threshold if slo.threshold is not None else 1.0)
    return value >= 1


def record_sample(
    slo: SLO,
    value: float | None,
    error: str = "",
    origin: str = "check",
    at: datetime | None = None,
) -> SLISample:
    """Store one sample; ``good`` is computed with :func:`judge` (False on error)."""
    good = not error and judge(slo, value)
    return SLISample.objects.create(
        slo=slo,
        value=value,
        good=good,
        error=error[:2000],
        origin=origin,
        observed_at=at or timezone.now(),
    )


@dataclass
class SLOStatus:
    """Computed state of an SLO; shares are 0..1, ``burn_rate`` a multiple of budget pace."""

    state: str
    total: int
    good: int
    bad: int
    errors: int
    attainment: float | None
    budget_remaining: float | None
    burn_rate: float | None
    last_value: float | None
    last_at: datetime | None

    def as_dict(self) -> dict:
        """JSON-ready dict (``last_at`` as ISO 8601)."""
        data = asdict(self)
        data["last_at"] = self.last_at.isoformat() if self.last_at else None
        return data


def compute_status(
    slo: SLO, now: datetime | None = None, lookback: timedelta = DEFAULT_LOOKBACK
) -> SLOStatus:
    """Status of ``slo`` from its samples in ``[now - window_days, now]``."""
    now = now or timezone.now()
    start = now - timedelta(days=slo.window_days)
    rows = list(
        slo.samples.filter(observed_at__gt=start, observed_at__lte=now)
        .order_by("observed_at", "id")
        .values_list("observed_at", "good", "error", "value")
    )
    return status_from_rows(slo.objective, rows, now, lookback)


def status_from_rows(objective: float, rows: list, now: datetime, lookback: timedelta) -> SLOStatus:
    """Pure arithmetic behind :func:`compute_status`; ``rows`` are ``(observed_at, good,
    error, value)`` tuples in time order."""
    total = len(rows)
    if not total:
        return SLOStatus("no data", 0, 0, 0, 0, None, None, None, None, None)
    good = sum(1 for r in rows if r[1])
    bad = total - good
    errors = sum(1 for r in rows if r[2])
    attainment = good / total
    allowed = 1.0 - objective
    budget_remaining = 1.0 - (bad / total) / allowed if allowed > 0 else None
    recent = [r for r in rows if r[0] > now - lookback]
    burn_rate = None
    if recent and allowed > 0:
        burn_rate = (sum(1 for r in recent if not r[1]) / len(recent)) / allowed
    if attainment < objective:
        state = "breached"
    elif (budget_remaining is not None and budget_remaining < AT_RISK_BUDGET) or (
        burn_rate is not None and burn_rate > 1
    ):
        state = "at risk"
    else:
        state = "met"
    return SLOStatus(
        state,
        total,
        good,
        bad,
        errors,
        attainment,
        budget_remaining,
        burn_rate,
        rows[-1][3],
        rows[-1][0],
    )


HEALTH_ORDER = ["breached", "at risk", "met", "no data"]


def product_health(product, now: datetime | None = None) -> dict:
    """SLO health of a product: ``{"state": worst state, "counts": {state: n}}``; the
    state is ``none`` when the product has no enabled SLOs."""
    counts: dict[str, int] = {}
    for slo in SLO.objects.filter(port__product=product, enabled=True):
        state = compute_status(slo, now).state
        counts[state] = counts.get(state, 0) + 1
    worst = next((s for s in HEALTH_ORDER if counts.get(s)), "none")
    return {"state": worst, "counts": counts}


def history_svg(slo: SLO, now: datetime | None = None, width: int = 320, height: int = 60) -> str:
    """An inline SVG of the window's samples: one bar per sample (green good, red bad,
    grey error), bar height proportional to the value within the window's range. Safe
    to mark safe: only numbers and fixed strings go into it."""
    now = now or timezone.now()
    start = now - timedelta(days=slo.window_days)
    rows = list(
        slo.samples.filter(observed_at__gt=start, observed_at__lte=now)
        .order_by("observed_at")
        .values_list("observed_at", "value", "good", "error")[:2000]
    )
    span = (now - start).total_seconds()
    values = [r[1] for r in rows if r[1] is not None]
    top = max(values) if values else 1.0
    top = top or 1.0
    bars = []
    for at, value, good, error in rows:
        x = (at - start).total_seconds() / span * (width - 2)
        h = height - 4 if error or value is None else max(2.0, (value / top) * (height - 4))
        color = "#999" if error else ("#2e7d32" if good else "#c62828")
        bars.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="2" height="{h:.1f}" fill="{color}"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="SLI history, {len(rows)} samples" class="slo-chart">'
        f'<rect width="{width}" height="{height}" fill="#fafafa" stroke="#ddd"/>'
        + "".join(bars)
        + "</svg>"
    )
