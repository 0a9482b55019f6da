"""Contracts API: ODCS documents stored, listed, exported and replaced over HTTP."""

import yaml

from catalog.models import Asset, Field
from products.models import SLO, DataContract, EditRecord
from tests.conftest import STANDARDS
from tests.products.test_api import client_for, world  # noqa: F401 - fixture

ODCS = STANDARDS / "odcs"
UID = "53581432-6c55-4ba2-a65f-72344a91553a"  # the id every official example uses
URL = f"/api/v1/contracts/{UID}/document"


def put(client, name: str):
    return client.put(
        URL, (ODCS / f"{name}.odcs.yaml").read_text(), content_type="application/yaml"
    )


def bind(world):  # noqa: F811
    """Give the owner's ``orders`` port an asset ``tab1`` and name the contract on it."""
    asset = Asset.objects.create(
        urn="urn:mc:dataset:postgres://db:5432/shop.public.tab1",
        namespace="postgres://db:5432",
        name="tab1",
        qualified_name="shop.public.tab1",
        platform="postgres",
    )
    Field.objects.create(asset=asset, name="txn_ref_dt", data_type="date", ordinal=0)
    Field.objects.create(asset=asset, name="amount", data_type="decimal", ordinal=1)
    port = world["port"]
    port.asset, port.asset_urn, port.contract_id = asset, asset.urn, UID
    port.save()
    return port


def test_contract_lifecycle_over_the_api(world, settings):  # noqa: F811
    settings.MESH_PUBLIC_READ = False  # reads private: sign in first (issue 10)
    owner, outsider = client_for(world["owner"]), client_for(world["outsider"])
    assert client_for(None).get("/api/v1/contracts").status_code in (401, 403)
    # a contract no port names yet: any signed-in user may store it
    r = put(outsider, "database-table-sla")
    assert r.status_code == 201, r.content
    assert r.json() == {"outcome": "created", "uid": UID, "ports": 0}
    assert put(outsider, "database-table-sla").json()["outcome"] == "unchanged"
    listed = owner.get("/api/v1/contracts?status=active").json()
    assert [c["uid"] for c in listed["results"]] == [UID]
    assert owner.get("/api/v1/contracts?q=nothing-like-it").json()["count"] == 0
    # exported exactly as stored
    r = owner.get(URL)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/yaml")
    expected = yaml.safe_load((ODCS / "database-table-sla.odcs.yaml").read_text())
    assert yaml.safe_load(r.content) == expected

    # once the owner's port names it, only the owning team may replace it
    port = bind(world)
    r = put(outsider, "column-completeness")
    assert r.status_code == 403 and "orders" in r.json()["detail"]
    assert DataContract.objects.get(uid=UID).document == expected  # nothing written
    r = put(owner, "database-table-sla")  # an unchanged re-upload still binds the port
    assert r.json() == {"outcome": "unchanged", "uid": UID, "ports": 1}
    assert list(SLO.objects.filter(port=port).values_list("kind", "column")) == [
        ("freshness", "txn_ref_dt")
    ]
    r = put(owner, "column-completeness")
    assert r.status_code == 200 and r.json() == {"outcome": "updated", "uid": UID, "ports": 1}
    assert sorted(SLO.objects.filter(port=port).values_list("kind", flat=True)) == [
        "completeness",
        "quality",
    ]
    edit = EditRecord.objects.get(product=world["p1"], action="contract upload")
    assert edit.summary == f"contract {UID} updated" and edit.user == world["owner"]
    assert f"contract {UID}" in edit.changes and "slos" in edit.changes

    # the detail shows the port and its drift against the harvested columns
    detail = owner.get(f"/api/v1/contracts/{UID}").json()
    assert detail["name"] == "my_table" and detail["api_version"] == "v3.0.2"
    [bound] = detail["ports"]
    assert (bound["product"], bound["port"]) == ("orders", "orders")
    assert bound["drift"]["drifted"] is True
    assert bound["drift"]["extra"] == ["txn_ref_dt", "amount"]


def test_bad_contracts_are_refused_with_reasons(world):  # noqa: F811
    owner = client_for(world["owner"])
    r = owner.put(
        URL, "apiVersion: v9\nkind: DataContract\nid: x\n", content_type="application/yaml"
    )
    assert r.status_code == 400 and r.json()["detail"] == "invalid ODCS contract"
    assert any(p.startswith("apiVersion: enum:") for p in r.json()["problems"])
    r = owner.put(URL, "{not yaml: [", content_type="application/yaml")
    assert r.status_code == 400 and r.json()["problems"]
    other = (ODCS / "database-table-sla.odcs.yaml").read_text().replace(UID, "another-id")
    r = owner.put(URL, other, content_type="application/yaml")
    assert r.status_code == 400 and r.json()["problems"][0].startswith("id: match:")
    assert not DataContract.objects.exists()
    assert owner.get("/api/v1/contracts/unknown").status_code == 404
    assert owner.get("/api/v1/contracts/unknown/document").json()["detail"]
