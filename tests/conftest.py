"""Shared fixtures: paths to the real sample inputs and helpers to harvest them."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.neo4j_server import neo4j_server  # noqa: F401  (session fixture: a real Neo4j)
from tests.opensearch_server import opensearch_server  # noqa: F401 (session fixture)

SAMPLES = Path(settings.MESH_SAMPLES_DIR)
STANDARDS = SAMPLES.parent / "standards"


@pytest.fixture
def samples() -> Path:
    """The shared datasets folder (``../shared/datasets``); fails if it is missing."""
    assert SAMPLES.is_dir(), f"sample datasets not found at {SAMPLES}; set MESH_SAMPLES_DIR"
    return SAMPLES


@pytest.fixture
def make_source(db):
    """Create a Source: ``make_source("name", "kind", {config})``."""
    from catalog.models import Source

    def make(name: str, kind: str, config: dict) -> Source:
        return Source.objects.create(name=name, kind=kind, config=config)

    return make


@pytest.fixture
def harvest(db):
    """Run a harvest synchronously: ``harvest(source)`` → the finished HarvestRun."""
    from harvesters.runner import run_harvest

    return run_harvest


@pytest.fixture(autouse=True)
def _search_index_per_test(settings, tmp_path):
    """Point the search index at a file of this test's tmp_path, so tests (and parallel
    runs) never share or pollute ``var/search.sqlite3``; the backend cache is reset by
    the ``setting_changed`` signal (see :mod:`catalog.search`)."""
    settings.MESH_SEARCH = {
        "default": {
            "BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend",
            "PATH": str(tmp_path / "search.sqlite3"),
        }
    }


@pytest.fixture(autouse=True)
def _hot_read_cache_off(settings):
    """Tests roll their transactions back, so two tests can see the same catalog version
    with different data: the hot read cache (catalog.hotcache) is off unless a test turns
    it on."""
    settings.MESH_HOT_CACHE_SECONDS = 0


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright, one per test module; fails with a
    clear message when it is not installed."""
    from playwright.sync_api import sync_playwright

    from tests.browser_server import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
