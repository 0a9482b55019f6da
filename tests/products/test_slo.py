"""SLO arithmetic on known sample series, and live SQL checks on SQLite and PostgreSQL."""

import sqlite3
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from catalog.models import Asset, AssetSource, QualityResult, Source
from products.checks import run_check, sample_from_harvest
from products.models import SLO, DataProduct, OutputPort, SLISample
from products.slo import (
    compute_status,
    format_budget,
    format_burn_rate,
    format_percent,
    history_buckets,
    history_svg,
    judge,
    record_sample,
)
from products.tasks import run_slo_checks

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _slo(kind="volume", objective=0.9, **extra) -> SLO:
    product = DataProduct.objects.get_or_create(uid="p1", defaults={"name": "P1"})[0]
    port = OutputPort.objects.get_or_create(product=product, name="out", version="1")[0]
    return SLO.objects.create(port=port, name=kind, kind=kind, objective=objective, **extra)


def _series(slo, goods: list[bool], start: datetime, step: timedelta):
    """One sample per step from ``start``; value 10 rows when good, 0 when bad."""
    for i, good in enumerate(goods):
        record_sample(slo, 10.0 if good else 0.0, at=start + i * step)


def test_judge_per_kind(db):
    assert judge(_slo("freshness", threshold=3600), 3600) is True
    assert judge(_slo("freshness", threshold=3600), 3601) is False
    assert judge(_slo("volume", min_value=5, max_value=10), 10) is True
    assert judge(_slo("volume", min_value=5, max_value=10), 4) is False
    assert judge(_slo("completeness", threshold=0.1), 0.1) is True
    assert judge(_slo("completeness", threshold=0.1), 0.11) is False
    assert judge(_slo("quality", threshold=0.75), 0.75) is True
    assert judge(_slo("quality", threshold=0.75), 0.5) is False
    assert judge(_slo("availability"), 1.0) is True and judge(_slo("availability"), 0.0) is False


def test_met_with_budget_left(db):
    slo = _slo(min_value=1)
    # 100 samples every 2.4 h over the last 10 days; the 1st and 2nd are bad
    start = NOW - timedelta(days=10) + timedelta(hours=2.4)
    _series(slo, [False, False] + [True] * 98, start, timedelta(hours=2.4))
    status = compute_status(slo, now=NOW)
    assert (status.total, status.good, status.bad) == (100, 98, 2)
    assert status.attainment == pytest.approx(0.98)
    assert status.budget_remaining == pytest.approx(0.8)  # 1 - 0.02 / 0.10
    assert status.burn_rate == pytest.approx(0.0)  # last day all good
    assert status.state == "met"


def test_at_risk_when_burning_fast(db):
    slo = _slo(min_value=1)
    start = NOW - timedelta(days=10) + timedelta(hours=2.4)
    goods = [False, False] + [True] * 88 + [True] * 7 + [False] * 3
    _series(slo, goods, start, timedelta(hours=2.4))
    status = compute_status(slo, now=NOW)
    assert status.attainment == pytest.approx(0.95)
    assert status.budget_remaining == pytest.approx(0.5)  # 1 - 0.05 / 0.10
    # last 24 h holds the last 10 samples, 3 bad: 0.3 / 0.1
    assert status.burn_rate == pytest.approx(3.0)
    assert status.state == "at risk"


def test_breached_and_overspent_budget_and_errors_count_as_bad(db):
    slo = _slo(objective=0.99, min_value=1)
    _series(slo, [True] * 9, NOW - timedelta(days=5), timedelta(hours=1))
    record_sample(slo, None, error="OperationalError: no such table", at=NOW - timedelta(hours=2))
    # a bad sample older than the 28-day window is ignored
    record_sample(slo, 0.0, at=NOW - timedelta(days=29))
    status = compute_status(slo, now=NOW)
    assert (status.total, status.good, status.bad, status.errors) == (10, 9, 1, 1)
    assert status.attainment == pytest.approx(0.9)
    assert status.budget_remaining == pytest.approx(-9.0)  # 1 - 0.1 / 0.01
    assert status.burn_rate == pytest.approx(100.0)  # 1 of 1 in the last day: 1.0 / 0.01
    assert status.state == "breached"


def test_no_samples_is_no_data(db):
    assert compute_status(_slo(), now=NOW).state == "no data"


def _bind(slo: SLO, url: str, qualified: str, name: str, platform: str) -> None:
    source = Source.objects.get_or_create(
        name=f"src-{platform}", kind="sql", defaults={"config": {"url": url}}
    )[0]
    asset = Asset.objects.create(
        urn=f"urn:mc:dataset:{platform}://x/{qualified}",
        namespace=f"{platform}://x",
        name=name,
        qualified_name=qualified,
        platform=platform,
        row_count=3,
    )
    AssetSource.objects.create(asset=asset, source=source)
    slo.port.asset = asset
    slo.port.save()


def _live_checks(url: str, qualified: str, platform: str):
    """Run every SLI kind against a live ``events`` table with 3 rows (1 null ``note``)."""
    now = datetime.now(UTC)
    fresh = _slo("freshness", threshold=3 * 3600, column="happened_at")
    _bind(fresh, url, qualified, "events", platform)
    port = fresh.port
    kinds = {
        "volume": SLO.objects.create(port=port, name="v", kind="volume", min_value=3, max_value=3),
        "completeness": SLO.objects.create(
            port=port, name="c", kind="completeness", column="note", threshold=0.5
        ),
        "quality": SLO.objects.create(
            port=port,
            name="q",
            kind="quality",
            threshold=1.0,
            rules=[
                {"metric": "nullValues", "column": "id", "mustBe": 0},
                {"metric": "rowCount", "mustBeGreaterThan": 5},
                {"query": "SELECT count(*) FROM events WHERE id < 0", "mustBe": 0},
                {"metric": "duplicateValues", "column": "id", "mustBe": 0},
            ],
        ),
        "availability": SLO.objects.create(port=port, name="a", kind="availability"),
    }
    sample = run_check(fresh, now=now)
    assert sample.error == "" and sample.good is True
    assert 3600 - 5 <= sample.value <= 3600 + 5  # newest row is one hour old
    assert run_check(kinds["volume"], now=now).value == 3.0
    completeness = run_check(kinds["completeness"], now=now)
    assert completeness.value == pytest.approx(1 / 3) and completeness.good is True
    quality = run_check(kinds["quality"], now=now)
    assert quality.value == pytest.approx(0.75) and quality.good is False  # rowCount fails
    assert run_check(kinds["availability"], now=now).value == 1.0
    # a failing query records an error sample that does not count as a pass
    broken = SLO.objects.create(
        port=port, name="b", kind="freshness", column="no_such_col", threshold=10
    )
    bad = run_check(broken, now=now)
    assert bad.good is False and bad.value is None and "no_such_col" in bad.error.lower()
    assert compute_status(broken, now=now + timedelta(seconds=1)).state == "breached"
    counts = run_slo_checks()
    assert counts == {"checked": 6, "good": 4, "bad": 1, "errors": 1}


def _events_rows(now: datetime) -> list[tuple]:
    return [
        (1, now - timedelta(hours=3), "a"),
        (2, now - timedelta(hours=2), None),
        (3, now - timedelta(hours=1), "c"),
    ]


def test_live_checks_on_sqlite(db, tmp_path):
    path = tmp_path / "src.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE events (id INTEGER, happened_at TIMESTAMP, note TEXT)")
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "INSERT INTO events VALUES (?, ?, ?)",
        [(i, t.isoformat(sep=" "), n) for i, t, n in _events_rows(now)],
    )
    con.commit()
    con.close()
    _live_checks(f"sqlite:///{path}", "src.main.events", "sqlite")


@pytest.mark.postgres
def test_live_checks_on_postgresql(db):
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS mc_prodh_src WITH (FORCE)")
    admin.execute("CREATE DATABASE mc_prodh_src")
    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/mc_prodh_src") as con:
            con.execute("CREATE TABLE events (id int, happened_at timestamptz, note text)")
            now = datetime.now(UTC)
            for row in _events_rows(now):
                con.execute("INSERT INTO events VALUES (%s, %s, %s)", row)
        _live_checks(
            "postgresql+psycopg://postgres@127.0.0.1:5432/mc_prodh_src",
            "mc_prodh_src.public.events",
            "postgres",
        )
    finally:
        admin.execute("DROP DATABASE IF EXISTS mc_prodh_src WITH (FORCE)")
        admin.close()


def test_unreachable_source_gives_availability_zero(db, tmp_path):
    slo = _slo("availability")
    _bind(slo, f"sqlite:///{tmp_path}/missing/dir/x.sqlite", "x.main.t", "t", "sqlite")
    sample = run_check(slo)
    assert sample.value == 0.0 and sample.good is False and "OperationalError" in sample.error


def test_harvest_samples_volume_and_dbt_quality(db):
    slo = _slo("volume", min_value=2)
    _bind(slo, "sqlite:///:memory:", "m.main.t", "t", "sqlite")
    quality = SLO.objects.create(port=slo.port, name="q", kind="quality", threshold=0.9)
    source = Source.objects.get(name="src-sqlite")
    from catalog.models import HarvestRun

    run = HarvestRun.objects.create(source=source, started_at=NOW)
    for name, status in [("not_null_id", "pass"), ("unique_id", "fail")]:
        QualityResult.objects.create(asset=slo.port.asset, name=name, status=status)
    assert sample_from_harvest(run) == 2
    assert slo.samples.get().value == 3.0 and slo.samples.get().origin == "harvest:src-sqlite"
    assert quality.samples.get().value == 0.5 and quality.samples.get().good is False


# --- the SLO history chart and number formats (was test_products_pages_chart.py) ---------
# The SLO history chart (:func:`products.slo.history_svg`) and the SLO number formats
# shown on the product page (error budget, burn rate, attainment).

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
