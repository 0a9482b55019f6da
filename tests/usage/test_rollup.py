"""Daily → monthly rollup of usage older than the retention window: totals are
preserved, distinct users are recounted per month, a re-harvest of rolled-up days does
not count them twice, and the management command and Celery beat entry exist."""

import io
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Source
from tests.factories import make_asset
from tests.usage.test_harvest import chinook
from usage.models import (
    AssetView,
    ColumnUsageDay,
    CoUsageDay,
    QueryUsageDay,
    UsageDay,
    UserUsageDay,
)
from usage.queries import asset_usage
from usage.rollup import SPECS, rollup_cutoff, rollup_usage


def totals() -> dict:
    """``{table: {key: sums}}`` of every usage table, whatever the day or grain."""
    out = {}
    for model, keys, sums in SPECS:
        keys = tuple(k for k in keys if model is not AssetView or k != "user_key")
        out[model._meta.db_table] = {
            tuple(r[k] for k in keys): tuple(r[f] for f in sums)
            for r in model.objects.values(*keys).annotate(**{f: Sum(f) for f in sums})
        }
    return out


def test_rollup_preserves_totals(harvested, harvest):
    _, _, today = harvested
    before = totals()
    daily_rows = {m._meta.db_table: m.objects.count() for m, _, _ in SPECS}
    assert daily_rows["usage_usageday"] == 10  # 8 Chinook tables (Customer: 2 days), 2 jaffle
    one_month = today.day > 1  # yesterday is in the same month (the usual case)
    later = timezone.make_aware(datetime.combine(today + timedelta(days=62), time(12)))
    assert rollup_cutoff(later, 0) > today
    done = rollup_usage(later, retention_days=0)
    assert totals() == before
    assert UsageDay.objects.filter(monthly=False).count() == 0
    customer = UsageDay.objects.filter(asset=chinook("Customer"))
    assert customer.count() == (1 if one_month else 2)
    assert customer.aggregate(q=Sum("queries"), r=Sum("rows")) == {"q": 8, "r": 36}
    assert {r.day for r in customer} <= {
        today.replace(day=1),
        (today - timedelta(1)).replace(day=1),
    }
    if one_month:
        assert customer.get().users == 2  # alice yesterday and bob today: distinct per month
        # the Usage tab and API show the month as one row
        assert asset_usage(chinook("Customer"), 60)["daily"] == [
            {"day": today.replace(day=1), "queries": 8, "users": 2, "rows": 36, "monthly": True}
        ]
        assert done["usage_usageday"] == (10, 9)
        assert UserUsageDay.objects.filter(asset=chinook("Customer")).count() == 2
        assert ColumnUsageDay.objects.filter(asset=chinook("Customer"), column="FirstName").get(
        ).selected == 8  # fmt: skip
    assert set(done) == {m._meta.db_table for m, _, _ in SPECS if m is not AssetView}
    for model in (ColumnUsageDay, CoUsageDay, QueryUsageDay, UserUsageDay):
        assert model.objects.filter(monthly=False).count() == 0
        assert model.objects.count() <= daily_rows[model._meta.db_table]
    # running it again changes nothing
    assert rollup_usage(later, retention_days=0) == {}
    assert totals() == before
    # a re-harvest of days already rolled up leaves them out instead of counting twice
    run = harvest(Source.objects.get(name="chinook-usage"))
    assert totals() == before
    assert run.counts["days_rolled_up_skipped"] == 2  # yesterday and today
    assert any("already rolled up" in w["message"] for w in run.warnings)


def test_rollup_command_rolls_page_views(db):
    orders = make_asset("main.orders")
    now = timezone.now()
    old = (now.date().replace(day=1) - timedelta(days=40)).replace(day=3)
    for i, (user_key, views, clicks) in enumerate([(5, 1, 0), (7, 2, 1), (0, 3, 1)]):
        AssetView.objects.create(
            asset=orders,
            day=old + timedelta(days=i),
            user_key=user_key,
            views=views,
            clicks=clicks,
            last_at=now - timedelta(days=60 - i),
        )
    AssetView.objects.create(asset=orders, day=now.date(), user_key=5, views=4, last_at=now)
    out = io.StringIO()
    call_command("rollup_usage", retention_days=0, stdout=out)
    assert out.getvalue() == (
        f"rolled up usage before {now.date().replace(day=1).isoformat()}\n"
        "usage_assetview: 3 daily rows -> 1 monthly rows\n"
    )
    assert sorted(
        AssetView.objects.values_list("day", "user_key", "monthly", "views", "clicks")
    ) == sorted([(old.replace(day=1), 0, True, 6, 2), (now.date(), 5, False, 4, 0)])
    monthly = AssetView.objects.get(monthly=True)
    assert monthly.last_at == now - timedelta(days=58)
    bad = io.StringIO()
    try:
        call_command("rollup_usage", retention_days=-1, stderr=bad)
    except Exception as exc:  # CommandError
        assert "--retention-days must be 0 or more" in str(exc)
    else:
        raise AssertionError("a negative retention must be refused")


def test_beat_runs_the_rollup_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["usage-rollup"]
    assert entry == {"task": "usage.tasks.rollup_usage", "schedule": 86400.0}
    from config.celery import app

    assert "usage.tasks.rollup_usage" in app.tasks
