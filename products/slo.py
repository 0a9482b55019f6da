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

import logging
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.html import escape

from products.events import slo_state_changed
from products.models import SLO, SLIKind, SLISample

log = logging.getLogger(__name__)

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
    """Store one sample; ``good`` is computed with :func:`judge` (False on error). The
    SLO's state is then recomputed (:func:`track_state`), which sends
    :data:`products.events.slo_state_changed` when it changed."""
    good = not error and judge(slo, value)
    sample = SLISample.objects.create(
        slo=slo,
        value=value,
        good=good,
        error=error[:2000],
        origin=origin,
        observed_at=at or timezone.now(),
    )
    track_state(slo, value, now=max(sample.observed_at, timezone.now()))
    return sample


def track_state(slo: SLO, value: float | None = None, now: datetime | None = None) -> str:
    """Recompute ``slo``'s state and store it in ``SLO.last_state``; when it differs from
    the stored one, send :data:`products.events.slo_state_changed` (robustly, after the
    transaction commits; receivers' errors are logged, never raised). The swap is a
    conditional UPDATE, so two concurrent samples send one change, not two. Returns the
    new state. Two queries (samples, update)."""
    new = compute_status(slo, now).state
    old = slo.last_state or "no data"
    if new == old:
        return new
    if not SLO.objects.filter(pk=slo.pk, last_state=slo.last_state).update(last_state=new):
        slo.refresh_from_db(fields=["last_state"])
        return slo.last_state
    slo.last_state = new

    def send() -> None:
        for receiver, result in slo_state_changed.send_robust(
            SLO, slo=slo, old=old, new=new, value=value
        ):
            if isinstance(result, Exception):
                log.error("slo_state_changed receiver %r failed: %r", receiver, result)

    transaction.on_commit(send)
    return new


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


def window_samples(slos, now: datetime | None = None) -> dict[int, list[tuple]]:
    """The samples of each SLO in its own window ``(now - window_days, now]``, in one
    query: ``{slo id: [(observed_at, good, error, value)]}`` oldest first (every SLO of
    ``slos`` has a list, maybe empty)."""
    slos = list(slos)
    if not slos:
        return {}
    now = now or timezone.now()
    starts = {slo.pk: now - timedelta(days=slo.window_days) for slo in slos}
    rows: dict[int, list[tuple]] = {pk: [] for pk in starts}
    samples = (
        SLISample.objects.filter(
            slo_id__in=list(starts), observed_at__gt=min(starts.values()), observed_at__lte=now
        )
        .order_by("slo_id", "observed_at", "id")
        .values_list("slo_id", "observed_at", "good", "error", "value")
    )
    for slo_id, at, good, error, value in samples.iterator():
        if at > starts[slo_id]:
            rows[slo_id].append((at, good, error, value))
    return rows


def compute_status(
    slo: SLO,
    now: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
    samples: list[tuple] | None = None,
) -> SLOStatus:
    """Status of ``slo`` from its samples in ``[now - window_days, now]`` (``samples``:
    those rows already read by :func:`window_samples`, else one query)."""
    now = now or timezone.now()
    if samples is None:
        samples = window_samples([slo], now)[slo.pk]
    return status_from_rows(slo.objective, samples, now, lookback)


def compute_statuses(slos, now: datetime | None = None) -> dict[int, SLOStatus]:
    """``{slo id: status}`` of many SLOs with one query for their samples."""
    slos = list(slos)
    now = now or timezone.now()
    rows = window_samples(slos, now)
    return {slo.pk: compute_status(slo, now, samples=rows[slo.pk]) for slo in slos}


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
    state is ``none`` when the product has no enabled SLOs. Two queries."""
    return products_health([product], now)[product.pk]


def products_health(products, now: datetime | None = None) -> dict[int, dict]:
    """:func:`product_health` of many products in two queries (their enabled SLOs, then
    the SLOs' samples): ``{product id: {"state", "counts"}}``."""
    counts: dict[int, dict[str, int]] = {p.pk: {} for p in products}
    if not counts:
        return {}
    slos = list(
        SLO.objects.filter(port__product_id__in=list(counts), enabled=True).select_related("port")
    )
    statuses = compute_statuses(slos, now)
    for slo in slos:
        state = statuses[slo.pk].state
        mine = counts[slo.port.product_id]
        mine[state] = mine.get(state, 0) + 1
    return {
        pk: {"state": next((s for s in HEALTH_ORDER if c.get(s)), "none"), "counts": c}
        for pk, c in counts.items()
    }


CHART_COLORS = {
    "good": "#13795b",
    "bad": "#b3261e",
    "error": "#7a859c",
    "empty": "#e5e9f2",
    "ink": "#1b2233",
    "muted": "#556074",
}
BUCKET_HOURS = (1, 2, 3, 6, 12, 24, 48, 168)
MAX_BUCKETS = 31


def format_percent(share: float | None) -> str:
    """A 0..1 share as a percentage that never rounds to a misleading 100 % or 0 %:
    ``1`` → ``100%``, ``0.5`` → ``50%``, ``0.973`` → ``97.3%``, ``0.9996`` → ``99.96%``,
    ``0.99999`` → ``99.99%``; None → ``—``."""
    if share is None:
        return "—"
    pct = min(100.0, max(0.0, share * 100))
    if abs(pct - round(pct)) < 1e-9:
        return f"{round(pct)}%"
    if 1 <= pct <= 99:
        value, digits = round(pct, 1), 1
    else:  # near the ends: round towards 50 % so 99.999 % stays below 100 %
        value = math.floor(pct * 100) / 100 if pct > 50 else math.ceil(pct * 100) / 100
        digits = 2
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") + "%"


def format_budget(remaining: float | None) -> str:
    """Error budget left for display: clamped at 0 (``exhausted``), e.g. ``62%``."""
    if remaining is None:
        return "—"
    if remaining <= 0:
        return "exhausted"
    return format_percent(min(remaining, 1.0))


def format_burn_rate(rate: float | None) -> str:
    """Burn rate as a multiple of the sustainable pace: ``0×``, ``0.42×``, ``3.5×``,
    ``12×``, ``>100×`` (``<0.01×`` for a trickle); None → ``—``."""
    if rate is None:
        return "—"
    if rate <= 0:
        return "0×"
    if rate < 0.01:
        return "<0.01×"
    if rate > 100:
        return ">100×"
    if rate < 1:
        text = f"{rate:.2f}"
    elif rate < 10:
        text = f"{rate:.1f}"
    else:
        text = f"{rate:.0f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text}×"


def bucket_size(span: timedelta) -> timedelta:
    """The bar width of a history chart over ``span``: the smallest of 1 h, 2 h, 3 h,
    6 h, 12 h, 1 d, 2 d, 7 d giving at most :data:`MAX_BUCKETS` bars."""
    for hours in BUCKET_HOURS:
        size = timedelta(hours=hours)
        if span / size <= MAX_BUCKETS:
            return size
    return span / MAX_BUCKETS


def history_buckets(
    slo: SLO, now: datetime | None = None, samples: list[tuple] | None = None
) -> list[dict]:
    """The window's samples counted in equal buckets that end at ``now`` (oldest first),
    so the newest sample is always in the last bucket.

    Each bucket is ``{"start", "end", "total", "good", "errors", "share"}`` where
    ``share`` is good/total (None for a bucket without samples). Every sample of the
    window is counted, however many there are.
    """
    now = now or timezone.now()
    now = now or timezone.now()
    span = timedelta(days=slo.window_days)
    start = now - span
    size = bucket_size(span)
    count = max(1, math.ceil(span / size))
    buckets = [
        {
            "start": max(start, now - (count - i) * size),
            "end": now - (count - i - 1) * size,
            "total": 0,
            "good": 0,
            "errors": 0,
        }
        for i in range(count)
    ]
    if samples is None:
        rows = (
            slo.samples.filter(observed_at__gt=start, observed_at__lte=now)
            .annotate(failed=ExpressionWrapper(~Q(error=""), output_field=BooleanField()))
            .values_list("observed_at", "good", "failed")
            .iterator()
        )
    else:  # window_samples rows: (observed_at, good, error, value)
        rows = ((at, good, bool(error)) for at, good, error, _ in samples if at > start)
    for at, good, failed in rows:
        index = count - 1 - int((now - at) / size)
        bucket = buckets[min(count - 1, max(0, index))]
        bucket["total"] += 1
        bucket["good"] += 1 if good else 0
        bucket["errors"] += 1 if failed and not good else 0
    for bucket in buckets:
        bucket["share"] = bucket["good"] / bucket["total"] if bucket["total"] else None
    return buckets


def _chart_floor(objective: float) -> float:
    """Bottom of the chart's y axis: the objective sits at three quarters of the height
    (``1 - 4 × budget``), or 0 for objectives below 80 %."""
    if objective < 0.8:
        return 0.0
    return max(0.0, 1 - 4 * (1 - objective))


def _when(at: datetime, size: timedelta) -> str:
    local = timezone.localtime(at)
    day = f"{local.day} {local:%b}"
    return day if size >= timedelta(days=1) else f"{day} {local:%H:%M}"


def history_svg(
    slo: SLO,
    now: datetime | None = None,
    width: int = 360,
    height: int = 112,
    samples: list[tuple] | None = None,
) -> str:
    """An inline SVG of the SLO's window: one bar per bucket (hour … day, see
    :func:`bucket_size`) showing the share of good samples (green) and of bad (red) and
    failed-measurement (grey) samples above it; buckets without samples are pale. A
    dashed line marks the objective; the y axis runs from 100 % down to
    :func:`_chart_floor` (bars below it are drawn all red), a time axis gives the window's
    start, middle and end, and a legend names the colours. A good sample counts as good
    whatever its value (0 nulls is a full green bar).

    The ``<title>`` and ``aria-label`` carry a text summary (samples, share good,
    objective, the latest bucket, buckets below objective). Safe to mark safe: the SLO's
    name is escaped, everything else is numbers and fixed strings. ``samples``: the
    window's rows from :func:`window_samples` (else one query).
    """
    now = now or timezone.now()
    buckets = history_buckets(slo, now, samples)
    size = bucket_size(timedelta(days=slo.window_days))
    c = CHART_COLORS
    left, right, top, bottom = 34, width - 6, 6, height - 48
    plot_w, plot_h = right - left, bottom - top
    floor = _chart_floor(slo.objective)

    def y_of(share: float) -> float:
        return bottom - max(0.0, (share - floor) / (1 - floor)) * plot_h

    slot = plot_w / len(buckets)
    gap = 1.0 if slot > 3 else 0.0
    parts = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        f'stroke="{c["empty"]}"/>'
    ]
    for i, b in enumerate(buckets):
        x, w = left + i * slot + gap / 2, max(0.5, slot - gap)
        tip = f"{_when(b['start'], size)} – {_when(b['end'], size)}: "
        if not b["total"]:
            parts.append(
                f'<rect x="{x:.1f}" y="{top}" width="{w:.1f}" height="{plot_h}" '
                f'fill="{c["empty"]}"><title>{tip}no samples</title></rect>'
            )
            continue
        tip += f"{b['total']} samples, {format_percent(b['share'])} good"
        y_good = y_of(b["share"])
        bad_h = y_good - top
        err_h = bad_h * b["errors"] / (b["total"] - b["good"]) if b["total"] > b["good"] else 0
        bar = [f"<title>{tip}</title>"]
        if bottom - y_good > 0:
            bar.append(
                f'<rect x="{x:.1f}" y="{y_good:.1f}" width="{w:.1f}" '
                f'height="{bottom - y_good:.1f}" fill="{c["good"]}"/>'
            )
        if bad_h - err_h > 0:
            bar.append(
                f'<rect x="{x:.1f}" y="{top + err_h:.1f}" width="{w:.1f}" '
                f'height="{bad_h - err_h:.1f}" fill="{c["bad"]}"/>'
            )
        if err_h > 0:
            bar.append(
                f'<rect x="{x:.1f}" y="{top}" width="{w:.1f}" height="{err_h:.1f}" '
                f'fill="{c["error"]}"/>'
            )
        parts.append(f'<g class="slo-chart__bar">{"".join(bar)}</g>')
    y_obj = y_of(slo.objective)
    parts.append(
        f'<line class="slo-chart__objective" x1="{left}" x2="{right}" y1="{y_obj:.1f}" '
        f'y2="{y_obj:.1f}" stroke="{c["ink"]}" stroke-width="1.5" stroke-dasharray="4 3"/>'
    )
    text = f'font-size="10" fill="{c["muted"]}" font-family="system-ui, sans-serif"'
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {text}>100%</text>')
    parts.append(
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end" {text}>{format_percent(floor)}</text>'
    )
    start, end = buckets[0]["start"], buckets[-1]["end"]
    middle = start + (end - start) / 2
    for x, anchor, at in (
        (left, "start", start),
        ((left + right) / 2, "middle", middle),
        (right, "end", end),
    ):
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" '
            f'stroke="{c["muted"]}"/>'
        )
        parts.append(
            f'<text class="slo-chart__time" x="{x:.1f}" y="{bottom + 15}" '
            f'text-anchor="{anchor}" {text}>{_when(at, size)}</text>'
        )
    legend_y = height - 10
    items = [
        ("good", c["good"]),
        ("bad", c["bad"]),
        ("error", c["error"]),
        ("no data", c["empty"]),
    ]
    x = float(left)
    for label, colour in items:
        parts.append(
            f'<rect x="{x:.1f}" y="{legend_y - 8}" width="9" height="9" fill="{colour}"/>'
            f'<text x="{x + 12:.1f}" y="{legend_y}" {text}>{label}</text>'
        )
        x += 20 + 6 * len(label)
    parts.append(
        f'<line x1="{x:.1f}" x2="{x + 16:.1f}" y1="{legend_y - 3.5}" y2="{legend_y - 3.5}" '
        f'stroke="{c["ink"]}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        f'<text x="{x + 20:.1f}" y="{legend_y}" {text}>objective '
        f"{format_percent(slo.objective)}</text>"
    )
    summary = escape(_chart_summary(slo, buckets, size))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{summary}" '
        f'class="slo-chart"><title>{summary}</title>' + "".join(parts) + "</svg>"
    )


def _chart_summary(slo: SLO, buckets: list[dict], size: timedelta) -> str:
    """The text a screen reader gets for :func:`history_svg`."""
    unit = {1: "hour", 24: "day", 168: "week"}.get(int(size.total_seconds() // 3600))
    unit = unit or f"{size.total_seconds() / 3600:g} hours"
    span = f"{_when(buckets[0]['start'], size)} to {_when(buckets[-1]['end'], size)}"
    total = sum(b["total"] for b in buckets)
    if not total:
        return f"{slo.name}: no samples from {span}."
    good = sum(b["good"] for b in buckets)
    below = sum(1 for b in buckets if b["share"] is not None and b["share"] < slo.objective)
    with_data = sum(1 for b in buckets if b["total"])
    latest = next(b for b in reversed(buckets) if b["total"])
    latest_text = (
        f"latest {unit} {format_percent(latest['share'])} good"
        if latest is buckets[-1]
        else f"latest samples ({_when(latest['end'], size)}) {format_percent(latest['share'])} good"
    )
    return (
        f"{slo.name}: share of good samples per {unit} from {span}; {total} samples, "
        f"{format_percent(good / total)} good (objective {format_percent(slo.objective)}); "
        f"{latest_text}; {below} of {with_data} {unit}s with samples below objective."
    )
