"""The SLO history chart (:func:`products.slo.history_svg`) and the SLO number formats
shown on the product page (error budget, burn rate, attainment)."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from products.models import SLO, DataProduct, OutputPort, SLISample
from products.slo import (
    format_budget,
    format_burn_rate,
    format_percent,
    history_buckets,
    history_svg,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
GOOD, BAD, ERROR, EMPTY = "#13795b", "#b3261e", "#7a859c", "#e5e9f2"


@pytest.fixture
def slo(db):
    product = DataProduct.objects.create(uid="orders", name="Orders")
    port = OutputPort.objects.create(product=product, name="orders", version="1")
    return SLO.objects.create(port=port, name="rows", kind="volume", min_value=1, objective=0.99)


def add_samples(slo, count: int, days: int = 28, bad=lambda age: False, error=lambda age: False):
    """``count`` samples evenly over the ``days`` before NOW, the newest at NOW."""
    rows = []
    for i in range(count):
        at = NOW - timedelta(days=days) + timedelta(days=days) * (i + 1) / count
        age = NOW - at
        failed = error(age)
        rows.append(
            SLISample(
                slo=slo,
                observed_at=at,
                value=0.0,
                good=not bad(age) and not failed,
                error="timeout" if failed else "",
            )
        )
    SLISample.objects.bulk_create(rows)


def bars(svg: str) -> list[list[tuple[str, float]]]:
    """Each bucket of the chart as ``[(fill, height)]`` of its rects (no-data buckets are
    one pale rect)."""
    root = ET.fromstring(svg)
    out = []
    for node in root:
        if node.tag == f"{SVG}g" and node.get("class") == "slo-chart__bar":
            out.append([(r.get("fill"), float(r.get("height"))) for r in node.iter(f"{SVG}rect")])
        elif (
            node.tag == f"{SVG}rect"
            and node.get("fill") == EMPTY
            and node.find(f"{SVG}title") is not None
        ):
            out.append([(EMPTY, float(node.get("height")))])
    return out


def test_3000_samples_last_day_bad_shows_the_bad_last_bucket(slo):
    add_samples(slo, 3000, bad=lambda age: age < timedelta(days=1))
    buckets = history_buckets(slo, NOW)
    assert len(buckets) == 28  # one bar per day over the 28-day window
    assert sum(b["total"] for b in buckets) == 3000  # nothing dropped, newest included
    assert buckets[-1]["end"] == NOW and buckets[-1]["share"] == 0
    assert all(b["share"] == 1 for b in buckets[:-1])

    svg = history_svg(slo, NOW)
    chart = bars(svg)
    assert len(chart) == 28
    last = dict(chart[-1])
    assert GOOD not in last and last[BAD] > 0  # the bad day is a full red bar
    plot_height = last[BAD]
    for bar in chart[:-1]:
        assert bar == [(GOOD, plot_height)]

    root = ET.fromstring(svg)
    title = root.find(f"{SVG}title").text
    assert root.get("role") == "img" and root.get("aria-label") == title
    assert "3000 samples" in title and "latest day 0% good" in title
    assert "1 of 28 days with samples below objective" in title
    times = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "slo-chart__time"]
    assert times[0] == "1 Feb" and times[-1] == "1 Mar"  # start and end of the window
    objective = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "slo-chart__objective"]
    assert len(objective) == 1
    legend = {t.text for t in root.iter(f"{SVG}text")}
    assert {"good", "bad", "error", "no data", "objective 99%"} <= legend


def test_good_value_zero_is_a_full_green_bar_and_gaps_and_errors_show(db, slo):
    slo.kind, slo.column, slo.threshold = "completeness", "id", 0.0
    slo.save()
    add_samples(
        slo,
        280,
        bad=lambda age: False,
        error=lambda age: timedelta(days=3) < age <= timedelta(days=4),
    )
    SLISample.objects.filter(
        slo=slo, observed_at__gt=NOW - timedelta(days=10), observed_at__lte=NOW - timedelta(days=8)
    ).delete()
    chart = bars(history_svg(slo, NOW))
    full = chart[-1][0][1]
    assert chart[-1] == [(GOOD, full)]  # value 0 (no nulls) is good: a full-height bar
    assert chart[-4] == [(ERROR, full)]  # the day of failed measurements
    assert chart[-9] == [(EMPTY, full)] and chart[-10] == [(EMPTY, full)]  # no samples


def test_name_is_escaped_and_no_samples_summary(slo):
    slo.name = 'rows <script>"x"'
    slo.save()
    svg = history_svg(slo, NOW)
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text.endswith("no samples from 1 Feb to 1 Mar.")


def test_short_windows_use_hourly_bars(slo):
    slo.window_days = 1
    slo.save()
    add_samples(slo, 60, days=1, bad=lambda age: age < timedelta(hours=1))
    buckets = history_buckets(slo, NOW)
    assert len(buckets) == 24 and buckets[-1]["share"] == 0
    assert "per hour" in history_svg(slo, NOW)


def test_number_formats():
    assert format_budget(-99) == "exhausted" and format_budget(0) == "exhausted"
    assert format_budget(0.25) == "25%" and format_budget(None) == "—"
    assert format_burn_rate(100.0) == "100×" and format_burn_rate(250) == ">100×"
    assert format_burn_rate(12.34) == "12×" and format_burn_rate(3.456) == "3.5×"
    assert format_burn_rate(0.42) == "0.42×" and format_burn_rate(0) == "0×"
    assert format_percent(0.99999) == "99.99%" and format_percent(0.973) == "97.3%"
    assert format_percent(1) == "100%" and format_percent(0.00001) == "0.01%"
