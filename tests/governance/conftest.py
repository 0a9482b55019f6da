"""Fixtures of the governance tests: the harvested samples (once per module), users
with roles."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from catalog.outbox import process_outbox
from harvesters.samples import harvest_sample_sources, sample_source_specs

JAFFLE = "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main."


@pytest.fixture(scope="module")
def search_settings(tmp_path_factory) -> dict:
    """``MESH_SEARCH`` of the module: one embedded index shared by its tests."""
    path = tmp_path_factory.mktemp("search") / "search.sqlite3"
    return {"default": {"BACKEND": "catalog.search.sqlite_fts.SQLiteFTSBackend", "PATH": str(path)}}


@pytest.fixture(autouse=True)
def _search_index_per_test(settings, search_settings):
    """The module's index instead of conftest's per-test one."""
    settings.MESH_SEARCH = search_settings


@pytest.fixture(autouse=True)
def _fresh_scorecards():
    """A new governance version per test: tests change rows with bulk updates (no
    signal), which a running site would only see after the cache's TTL."""
    from governance.scorecards import invalidate

    invalidate()


@pytest.fixture(scope="module")
def samples_catalog(django_db_setup, django_db_blocker, search_settings):
    """Chinook (SQLite), the jaffle_shop warehouse and its dbt project, harvested once for
    the module (committed, flushed at the end)."""
    with django_db_blocker.unblock(), override_settings(MESH_SEARCH=search_settings):
        rows = harvest_sample_sources(settings.MESH_SAMPLES_DIR, None)
        assert [r["errors"] for r in rows] == [0] * len(rows), rows
        process_outbox()
        yield {r["source"]: r for r in rows}
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def users(db):
    """``{"admin", "steward", "viewer", "owner"}``: ``owner`` owns Chinook's Customer
    (an Ownership naming their e-mail), ``steward`` holds the global steward role."""
    from identity.models import RoleAssignment

    User = get_user_model()
    made = {
        "admin": User.objects.create_user("gov-admin", "a@example.com", "pw", is_staff=True),
        "steward": User.objects.create_user("gov-steward", "s@example.com", "pw"),
        "viewer": User.objects.create_user("gov-viewer", "v@example.com", "pw"),
        "owner": User.objects.create_user("gov-owner", "owner@example.com", "pw"),
    }
    RoleAssignment.objects.create(user=made["steward"], role="steward")
    return made


def source_names() -> list[str]:
    """Names of the sample sources (as the quickstart creates them)."""
    return [name for name, _, _ in sample_source_specs(Path(settings.MESH_SAMPLES_DIR))]


def asset_named(name: str, platform: str = "sqlite"):
    """The harvested asset ``name`` of ``platform`` (Chinook is ``sqlite``)."""
    from catalog.models import Asset

    return Asset.objects.get(platform=platform, name=name, removed=False)
