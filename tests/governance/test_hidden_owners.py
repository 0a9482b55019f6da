"""Curation hides a harvested owner (issue 15 follow-up, DataHub's "remove owner"):
owners, stewards and admins hide it through ``PATCH hidden_owners`` or the asset
page's check boxes; the change is in the history; it stays hidden through a
re-harvest; removing the override brings it back. The dbt project harvested is a
copy of the sample target (in the test's temporary folder) whose ``customers`` model
names owners in ``meta.owner``."""

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from catalog.models import Asset, Ownership, Source
from governance.models import CurationChange
from harvesters.runner import run_harvest

pytestmark = pytest.mark.django_db
OWNERS = ["alice@example.com", "analytics-team"]


@pytest.fixture
def dbt_source(tmp_path):
    target = Path(settings.MESH_SAMPLES_DIR) / "jaffle_shop" / "target"
    for name in ("manifest.json", "catalog.json", "run_results.json"):
        shutil.copyfile(target / name, tmp_path / name)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["nodes"]["model.jaffle_shop.customers"].setdefault("meta", {})["owner"] = OWNERS
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    source = Source.objects.create(
        name="dbt-owned", kind="dbt", config={"target_dir": str(tmp_path)}
    )
    run = run_harvest(source)
    assert run.status == "succeeded", run.errors
    return source


def customers() -> Asset:
    asset = Asset.objects.get(platform="duckdb", name="customers", removed=False)
    assert Ownership.all_objects.filter(asset=asset, origin="dbt-owned").count() == 2
    return asset


def patch(client: Client, urn: str, body):
    return client.patch(f"/api/v1/assets/{urn}", body, content_type="application/json")


def owner_names(client: Client, urn: str) -> list[str]:
    return sorted(o["name"] for o in client.get(f"/api/v1/assets/{urn}").json()["owners"])


def test_hiding_a_harvested_owner_survives_reharvest_and_can_be_undone(dbt_source, users):
    asset = customers()
    admin = Client()
    admin.force_login(users["admin"])
    assert owner_names(admin, asset.urn) == OWNERS

    response = patch(admin, asset.urn, {"hidden_owners": [{"name": "alice@example.com"}]})
    assert response.status_code == 200, response.content
    assert [o["name"] for o in response.json()["owners"]] == ["analytics-team"]
    change = CurationChange.objects.get(asset=asset, attribute="hidden_owners")
    assert change.old == [] and change.author_name == "gov-admin"
    assert change.new == [
        {"name": "alice@example.com", "type": "technical_owner", "origin": "dbt-owned"}
    ]
    # hidden everywhere: the owner filter of the assets API, the page
    listed = admin.get("/api/v1/assets?owner=alice@example.com").json()
    assert asset.urn not in [a["urn"] for a in listed["results"]]
    page = admin.get(f"/assets/{asset.urn}").content.decode()
    assert 'id="hidden-owners"' in page and "<s>alice@example.com" in page

    run = run_harvest(dbt_source)
    assert run.status == "succeeded", run.errors
    assert owner_names(admin, asset.urn) == ["analytics-team"]
    assert Ownership.all_objects.get(asset=asset, owner__name="alice@example.com").hidden

    # removing the override (the page's form, no box ticked) brings the owner back
    response = admin.post(
        "/governance/curate",
        {"urn": asset.urn, "hidden_owners_form": "1", "description": asset.description},
    )
    assert response.status_code == 302
    assert owner_names(admin, asset.urn) == OWNERS
    last = CurationChange.objects.filter(asset=asset, attribute="hidden_owners").first()
    assert last.old == change.new and last.new == []
    # and the page's check box hides it again
    admin.post(
        "/governance/curate",
        {
            "urn": asset.urn,
            "hidden_owners_form": "1",
            "hide_owner": "analytics-team|technical_owner",
            "description": asset.description,
        },
    )
    assert owner_names(admin, asset.urn) == ["alice@example.com"]


def test_only_harvested_owners_of_the_asset_can_be_hidden(dbt_source, users):
    asset = customers()
    admin, viewer = Client(), Client()
    admin.force_login(users["admin"])
    viewer.force_login(users["viewer"])
    bad = patch(admin, asset.urn, {"hidden_owners": [{"name": "nobody@example.com"}]})
    assert bad.status_code == 400
    assert "'nobody@example.com' is not a harvested owner of customers" in bad.content.decode()
    typed = patch(
        admin, asset.urn, {"hidden_owners": [{"name": "analytics-team", "type": "data_steward"}]}
    )
    assert typed.status_code == 400 and "(data_steward)" in typed.content.decode()
    assert patch(viewer, asset.urn, {"hidden_owners": ["analytics-team"]}).status_code == 403
    assert owner_names(admin, asset.urn) == OWNERS
