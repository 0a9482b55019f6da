"""ODPS/ODCS import, export, validation, sync_products and contract drift."""

import io
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from catalog.models import Asset, Field
from products.drift import contract_drift
from products.models import SLO, DataContract, DataProduct, OutputPort
from products.odcs import apply_contract, attach_contract, parse_contract
from products.odps import apply_descriptor, export_descriptor, load_yaml, parse_descriptor
from products.schemas import DescriptorError
from tests.conftest import STANDARDS

ODPS = STANDARDS / "odps"
ODCS = STANDARDS / "odcs"


@pytest.mark.parametrize("name", ["customer-data-product", "simple-data-product"])
def test_odps_examples_round_trip_without_loss(db, name):
    text = (ODPS / f"{name}.odps.yaml").read_text()
    doc = parse_descriptor(text, name)
    product, outcome = apply_descriptor(doc)
    assert outcome == "created"
    exported = export_descriptor(DataProduct.objects.get(pk=product.pk))
    assert exported == load_yaml(text, name)
    # v0.9.0 documents are kept at the version they declare
    assert exported["apiVersion"] == "v0.9.0"
    assert apply_descriptor(doc)[1] == "unchanged"


def test_customer_example_maps_to_model(db):
    doc = parse_descriptor((ODPS / "customer-data-product.odps.yaml").read_text())
    product, _ = apply_descriptor(doc)
    assert product.domain.slug == "seller"
    assert product.owner_team.name == "Data Team"
    assert product.purpose == "Enterprise view of a customer."
    assert [(m.username, m.role) for m in product.members.all()] == [
        ("john.doe@retailcorp.com", "owner"),
        ("jane.smith@retailcorp.com", "data steward"),
    ]
    assert product.input_ports.count() == 4
    assert sorted(product.output_ports.values_list("name", "version")) == [
        ("consolidatedtransactions", "1.0.0"),
        ("fulltransactionswithreturns", "0.3.0"),
        ("rawtransactions", "1.0.0"),
        ("rawtransactions", "2.0.0"),
    ]
    # unknown-to-the-model fields survive: management ports, support, sbom
    exported = export_descriptor(product)
    assert exported["managementPorts"][0]["name"] == "tpc-dict-update"
    assert exported["outputPorts"][1]["sbom"] == [
        {"type": "external", "url": "https://mysbomserver/mysbom"}
    ]


def test_edit_then_export_keeps_unknown_fields(db):
    doc = parse_descriptor((ODPS / "customer-data-product.odps.yaml").read_text())
    product, _ = apply_descriptor(doc)
    product.purpose = "Changed purpose"
    product.save()
    exported = export_descriptor(product)
    assert exported["description"]["purpose"] == "Changed purpose"
    assert exported["support"][1]["tool"] == "email"
    parse_descriptor(yaml.safe_dump(exported))  # still valid


def test_invalid_descriptor_names_every_problem(db):
    bad = "apiVersion: v2.0.0\nkind: Product\nname: 3\noutputPorts:\n- name: x\n"
    with pytest.raises(DescriptorError) as caught:
        parse_descriptor(bad, "bad.odps.yaml")
    assert caught.value.problems == [
        "(root): required: 'id' is a required property",
        "(root): required: 'status' is a required property",
        "apiVersion: enum: 'v2.0.0' is not one of ['v0.9.0', 'v1.0.0']",
        "kind: enum: 'Product' is not one of ['DataProduct']",
        "name: type: 3 is not of type 'string'",
        "outputPorts[0]: required: 'version' is a required property",
    ]
    with pytest.raises(DescriptorError) as caught:
        parse_descriptor("a: [1,\n", "broken.yaml")
    assert caught.value.problems[0].startswith("line ")
    with pytest.raises(DescriptorError) as caught:
        parse_descriptor("apiVersion: v1.0.0\nkind: DataProduct\nid: a\nstatus: shipped\n")
    assert caught.value.problems == [
        "status: lifecycle: 'shipped' is not one of proposed, draft, active, deprecated, retired"
    ]


def test_sync_folder_imports_good_files_reports_bad_and_check_writes_nothing(db, tmp_path):
    for name in ("customer-data-product.odps.yaml", "simple-data-product.odps.yaml"):
        shutil.copy(ODPS / name, tmp_path / name)
    shutil.copy(ODCS / "full-example.odcs.yaml", tmp_path / "full-example.odcs.yaml")
    (tmp_path / "broken.odps.yaml").write_text("apiVersion: v1.0.0\nkind: DataProduct\nid: b\n")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("sync_products", str(tmp_path), "--check", stdout=out, stderr=err)
    assert DataProduct.objects.count() == 0 and DataContract.objects.count() == 0
    assert "+name: Simple Data Product" in out.getvalue()
    assert "3 created, 0 updated, 0 unchanged, 1 invalid (check only" in out.getvalue()
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("sync_products", str(tmp_path), stdout=out, stderr=err)
    assert "3 created, 0 updated, 0 unchanged, 1 invalid" in out.getvalue()
    assert "broken.odps.yaml" in err.getvalue()
    assert "(root): required: 'status' is a required property" in err.getvalue()
    assert DataProduct.objects.count() == 2
    # edit one file: updated; the rest unchanged
    simple = tmp_path / "simple-data-product.odps.yaml"
    simple.write_text(simple.read_text().replace("Simple test data product", "New purpose"))
    (tmp_path / "broken.odps.yaml").unlink()
    out = io.StringIO()
    call_command("sync_products", str(tmp_path), stdout=out)
    assert "0 created, 1 updated, 2 unchanged, 0 invalid" in out.getvalue()
    assert DataProduct.objects.get(uid="064c4630-8aad-4dc0-ba95-0f69940e6b18").purpose == (
        "New purpose"
    )


def test_odcs_examples_validate_and_invalid_contract_is_refused(db):
    for name in (
        "full-example",
        "postgresql-adventureworks-contract",
        "database-table-sla",
        "column-completeness",
        "column-validity",
        "column-custom",
    ):
        doc = parse_contract((ODCS / f"{name}.odcs.yaml").read_text(), name)
        contract, outcome = apply_contract(doc)
        assert outcome in {"created", "updated"}  # several examples share one id
        assert DataContract.objects.get(uid=doc["id"]).document == doc
    assert DataContract.objects.count() == 2
    with pytest.raises(DescriptorError) as caught:
        parse_contract("apiVersion: v9\nkind: DataContract\nid: x\nstatus: active\n")
    assert any(p.startswith("apiVersion: enum:") for p in caught.value.problems)
    assert any("'version' is a required property" in p for p in caught.value.problems)


def _port_with_asset(name: str, columns: list[tuple[str, str]]) -> OutputPort:
    product = DataProduct.objects.create(uid=f"p-{name}", name=name)
    asset = Asset.objects.create(
        urn=f"urn:mc:dataset:postgres://db:5432/aw.public.{name}",
        namespace="postgres://db:5432",
        name=name,
        qualified_name=f"aw.public.{name}",
        platform="postgres",
    )
    for i, (col, family) in enumerate(columns):
        Field.objects.create(asset=asset, name=col, data_type=family, ordinal=i)
    return OutputPort.objects.create(product=product, name=name, version="1", asset=asset)


def test_drift_against_adventureworks_contract(db):
    doc = parse_contract((ODCS / "postgresql-adventureworks-contract.odcs.yaml").read_text())
    contract, _ = apply_contract(doc)
    # harvested department: groupname missing, modifieddate now a string, extra column
    port = _port_with_asset(
        "department",
        [
            ("departmentid", "integer"),
            ("name", "string"),
            ("modifieddate", "string"),
            ("cost_center", "string"),
        ],
    )
    attach_contract(port, contract)
    drift = contract_drift(OutputPort.objects.get(pk=port.pk))
    assert drift == {
        "object": "department",
        "missing": ["groupname"],
        "extra": ["cost_center"],
        "type_changes": [{"column": "modifieddate", "contract": "date", "harvested": "string"}],
        "drifted": True,
    }


def test_no_drift_when_schema_matches(db):
    doc = parse_contract((ODCS / "postgresql-adventureworks-contract.odcs.yaml").read_text())
    contract, _ = apply_contract(doc)
    port = _port_with_asset(
        "department",
        [
            ("departmentid", "integer"),
            ("name", "string"),
            ("groupname", "string"),
            ("modifieddate", "timestamp"),
        ],
    )
    attach_contract(port, contract)
    drift = contract_drift(OutputPort.objects.get(pk=port.pk))
    assert drift["drifted"] is False and drift["missing"] == [] and drift["extra"] == []


def test_sla_and_quality_examples_seed_slos(db):
    port = _port_with_asset("tab1", [("txn_ref_dt", "date")])
    sla, _ = apply_contract(parse_contract((ODCS / "database-table-sla.odcs.yaml").read_text()))
    slos = attach_contract(port, sla)
    assert [(s.kind, s.threshold, s.column) for s in slos] == [
        ("freshness", 4 * 86400.0, "txn_ref_dt")
    ]
    completeness, _ = apply_contract(
        parse_contract((ODCS / "column-completeness.odcs.yaml").read_text())
    )
    slos = attach_contract(port, completeness)
    assert [(s.kind, s.column, s.threshold) for s in slos] == [
        ("completeness", "UniqueID", 0.0),
        ("quality", "", 1.0),
    ]
    assert SLO.objects.filter(port=port, origin="contract").count() == 2  # re-seeded, not added
    assert SLO.objects.get(port=port, kind="quality").rules[0]["metric"] == "nullValues"


def test_full_example_binds_server_details(db):
    doc = parse_contract((ODCS / "full-example.odcs.yaml").read_text())
    contract, _ = apply_contract(doc)
    port = _port_with_asset("tbl_1", [("txn_ref_dt", "date")])
    attach_contract(port, contract)
    port.refresh_from_db()
    assert port.server["type"] == "postgres" and port.server["database"] == "pypl-edw"
    assert SLO.objects.get(port=port, kind="freshness").threshold == 4 * 86400.0


def test_sample_descriptors_are_valid(db):
    samples = Path(__file__).resolve().parents[2] / "products" / "samples"
    out = io.StringIO()
    call_command("sync_products", str(samples), stdout=out)
    assert "6 created, 0 updated, 0 unchanged, 0 invalid" in out.getvalue()
    assert set(DataProduct.objects.values_list("domain__slug", flat=True)) == {
        "media-store",
        "sales",
    }
