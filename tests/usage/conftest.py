"""Fixtures of the usage tests: Chinook and the jaffle shop harvested with their
generated query logs."""

import pytest
from django.utils import timezone

from tests.usage.querylog import chinook_log, jaffle_log

CHINOOK_NS = "sqlite://Chinook_Sqlite"
JAFFLE_NS = "duckdb://jaffle_shop"


@pytest.fixture
def harvested(make_source, harvest, samples, tmp_path):
    """Chinook and the jaffle shop harvested by ``sql``, then their query logs by ``usage``;
    returns ``(chinook usage run, jaffle usage run, today)``."""
    chinook_db = samples / "chinook" / "Chinook_Sqlite.sqlite"
    jaffle_db = samples / "jaffle_shop" / "jaffle_shop.duckdb"
    for name, url in (
        ("chinook", f"sqlite:///{chinook_db}"),
        ("jaffle", f"duckdb:///{jaffle_db}?access_mode=read_only"),
    ):
        assert harvest(make_source(name, "sql", {"url": url})).status == "succeeded"
    today = timezone.now().date()
    runs = []
    for name, namespace, log in (
        ("chinook-usage", CHINOOK_NS, chinook_log(today)),
        ("jaffle-usage", JAFFLE_NS, jaffle_log(today)),
    ):
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(log)
        config = {"path": str(path), "namespace": namespace, "platform": "sqlite"}
        runs.append(harvest(make_source(name, "usage", config)))
    return (*runs, today)
