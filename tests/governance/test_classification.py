"""Classification (issue 15): detection on Chinook and the jaffle shop (names, and
opt-in sampled values), stewards' decisions, propagation along the jaffle column
lineage with provenance, stop at aggregations, withdrawal, cycles, facets, 400s."""

import pytest
from django.test import Client

from catalog.models import Field, Source
from catalog.outbox import process_outbox
from catalog.search import search
from governance.classification import detect
from governance.detection import from_name, from_values
from governance.models import ColumnClass, DataClass, SourceSampling, TermLink
from governance.propagation import propagate
from lineage.models import FieldLineageEdge
from tests.governance.conftest import asset_named

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def classes_of(asset, status="accepted") -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in ColumnClass.objects.filter(asset=asset, status=status).select_related("data_class"):
        out.setdefault(c.field_name, set()).add(c.data_class.slug)
    return out


def test_names_detect_chinook_and_jaffle_personal_data(samples_catalog):
    customer = asset_named("Customer")
    proposed = classes_of(customer, "proposed")
    assert proposed["Email"] == {"email"}
    assert proposed["Phone"] == {"phone"} and proposed["Fax"] == {"phone"}
    assert proposed["Address"] == {"postal_address"} and proposed["PostalCode"] == {
        "postal_address"
    }
    assert proposed["FirstName"] == {"person_name"} and proposed["LastName"] == {"person_name"}
    assert "CustomerId" not in proposed and "SupportRepId" not in proposed
    assert classes_of(asset_named("Employee"), "proposed")["BirthDate"] == {"date_of_birth"}
    jaffle = classes_of(asset_named("raw_customers", "duckdb"), "proposed")
    assert jaffle == {"first_name": {"person_name"}, "last_name": {"person_name"}}
    orders = classes_of(asset_named("orders", "duckdb"), "proposed")
    assert "credit_card_amount" not in orders  # an amount is not a card number
    email = ColumnClass.objects.get(asset=customer, field_name="Email")
    assert email.method == "name" and email.confidence == 0.9 and "Email" in email.evidence


def test_value_checks_use_validators():
    assert [f.slug for f in from_values(["luisg@embraer.com.br", "leonekohler@surfeu.de"])] == [
        "email"
    ]
    assert [f.slug for f in from_values(["+55 (12) 3923-5555", "+49 0711 2842222"])] == ["phone"]
    assert [
        f.slug for f in from_values(["DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32"])
    ] == ["iban"]
    assert [f.slug for f in from_values(["4111 1111 1111 1111", "5500-0000-0000-0004"])] == [
        "payment_card"
    ]
    assert [f.slug for f in from_values(["10.0.0.1", "2001:db8::1"])] == ["ip_address"]
    assert from_values(["hello", "world", "4111 1111 1111 1112"]) == []
    half = from_values(["a@b.io", "c@d.io", "nope", "x"])
    assert half == []  # 50 % < the 60 % threshold
    assert [f.slug for f in from_name("customer_email")] == ["email"]
    assert from_name("email_count") == []


def test_opt_in_sampling_reads_values_and_failures_are_warnings(samples_catalog):
    chinook = Source.objects.get(name="chinook")
    customer = asset_named("Customer")
    ColumnClass.objects.filter(asset=customer).delete()
    detect([customer])  # not opted in: names only
    assert ColumnClass.objects.get(asset=customer, field_name="Email").method == "name"
    SourceSampling.objects.create(source=chinook, rows=20)
    detect([customer])
    email = ColumnClass.objects.get(asset=customer, field_name="Email")
    assert email.method == "values" and email.confidence == 1.0 and "20 of 20" in email.evidence
    phone = ColumnClass.objects.get(asset=customer, field_name="Phone", data_class__slug="phone")
    assert phone.method == "values" and phone.confidence >= 0.9
    # a column the name rules miss is found from its values
    ColumnClass.objects.filter(asset=customer, field_name="Email").delete()
    Field.objects.filter(asset=customer, name="Email").update(name="Contact")
    warnings: list = []
    detect([customer], warnings=warnings)  # the table has no column "Contact": a warning
    assert warnings and "classification sampling" in warnings[0]["message"]
    assert not ColumnClass.objects.filter(asset=customer, field_name="Contact").exists()


def test_decisions_and_rejected_not_proposed_again(samples_catalog, users):
    customer = asset_named("Customer")
    email = ColumnClass.objects.get(asset=customer, field_name="Email")
    fax = ColumnClass.objects.get(asset=customer, field_name="Fax")
    assert (
        client_for(users["viewer"])
        .post(
            f"/api/v1/classifications/{email.pk}",
            {"decision": "accept"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    steward = client_for(users["steward"])
    r = steward.post(
        f"/api/v1/classifications/{email.pk}",
        {"decision": "accept"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = steward.post(
        f"/api/v1/classifications/{fax.pk}", {"decision": "reject"}, content_type="application/json"
    )
    assert r.json()["status"] == "rejected"
    assert (
        steward.post(
            f"/api/v1/classifications/{fax.pk}",
            {"decision": "maybe"},
            content_type="application/json",
        ).status_code
        == 400
    )
    detect([customer])
    assert ColumnClass.objects.get(asset=customer, field_name="Fax").status == "rejected"
    data = client_for().get(f"/api/v1/assets/{customer.urn}/classification").json()
    assert data["level"] == "confidential"
    assert {"field": "Email", "class": "email", "status": "accepted"}.items() <= next(
        c for c in data["columns"] if c["field"] == "Email"
    ).items()
    process_outbox()
    assert customer.urn in [h["urn"] for h in search("", {"classification": ["email"]})["results"]]
    facets = search("", {"classification": ["confidential"]})["facets"]
    assert any(v["value"] == "email" for v in facets["classification"])
    page = client_for().get(f"/assets/{customer.urn}?tab=classification").content.decode()
    assert 'id="classification-table"' in page and 'id="sensitivity"' in page
    history = client_for().get(f"/api/v1/assets/{customer.urn}/history").json()["results"]
    assert history[0]["attribute"] == "classes" and history[0]["author"] == "gov-steward"


def test_unknown_class_is_a_400_naming_it(samples_catalog, users):
    customer = asset_named("Customer")
    r = client_for(users["admin"]).patch(
        f"/api/v1/assets/{customer.urn}",
        {"fields": {"Email": {"classes": ["email", "shoe_size"]}}, "sensitivity": "secret"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "unknown class 'shoe_size'" in r.json()["fields.Email.classes"][0]
    assert "unknown level 'secret'" in r.json()["sensitivity"][0]


def test_propagation_along_jaffle_lineage_stops_at_aggregation_and_is_withdrawn(
    samples_catalog, users
):
    raw = asset_named("raw_customers", "duckdb")
    stg = asset_named("stg_customers", "duckdb")
    customers = asset_named("customers", "duckdb")
    steward = client_for(users["steward"])
    first = ColumnClass.objects.get(asset=raw, field_name="first_name")
    steward.post(
        f"/api/v1/classifications/{first.pk}",
        {"decision": "accept"},
        content_type="application/json",
    )
    for asset in (stg, customers):
        row = ColumnClass.objects.get(
            asset=asset, field_name="first_name", data_class__slug="person_name"
        )
        assert row.status == "accepted" and row.method == "propagated"
        assert row.provenance == "propagated from raw_customers.first_name"
    assert not ColumnClass.objects.filter(
        asset=customers, field_name="last_name", status="accepted"
    ).exists()
    page = client_for().get(f"/assets/{customers.urn}?tab=classification").content.decode()
    assert "propagated from raw_customers.first_name" in page

    # a company class on stg_orders.order_id: identity edges carry it, aggregations stop it
    DataClass.objects.create(
        slug="order_reference", name="Order reference", personal=False, level="internal"
    )
    stg_orders = asset_named("stg_orders", "duckdb")
    r = client_for(users["admin"]).patch(
        f"/api/v1/assets/{stg_orders.urn}",
        {"fields": {"order_id": {"classes": ["order_reference"]}, "order_date": {"terms": []}}},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert classes_of(asset_named("orders", "duckdb")).get("order_id") == {"order_reference"}
    assert "number_of_orders" not in classes_of(customers)  # count(order_id): AGGREGATION

    # glossary terms on a column propagate the same way
    client_for(users["steward"]).post(
        "/api/v1/glossary/terms", {"name": "Given name"}, content_type="application/json"
    )
    client_for(users["admin"]).patch(
        f"/api/v1/assets/{raw.urn}",
        {"fields": {"first_name": {"terms": ["Given name"]}}},
        content_type="application/json",
    )
    link = TermLink.objects.get(asset=customers, field_name="first_name")
    assert link.provenance == "propagated from raw_customers.first_name"

    # rejecting the origin withdraws every propagated copy; removing the term too
    steward.post(
        f"/api/v1/classifications/{first.pk}",
        {"decision": "reject"},
        content_type="application/json",
    )
    assert not ColumnClass.objects.filter(
        asset__in=[stg, customers], method="propagated", data_class__slug="person_name"
    ).exists()
    client_for(users["admin"]).patch(
        f"/api/v1/assets/{raw.urn}",
        {"fields": {"first_name": {"terms": []}}},
        content_type="application/json",
    )
    assert not TermLink.objects.filter(asset=customers, field_name="first_name").exists()


def test_propagation_cycle_terminates(samples_catalog, users):
    raw = asset_named("raw_customers", "duckdb")
    stg = asset_named("stg_customers", "duckdb")
    customers = asset_named("customers", "duckdb")
    source = Source.objects.get(name="jaffle-dbt")
    # close a cycle: customers.first_name -> raw_customers.first_name
    FieldLineageEdge.objects.create(
        key="gov15-cycle",
        upstream=customers.fields.get(name="first_name"),
        downstream=raw.fields.get(name="first_name"),
        origin=source,
        subtype="IDENTITY",
    )
    ColumnClass.objects.filter(asset=stg, field_name="first_name").update(status="accepted")
    result = propagate()
    assert result["classes"] >= 2
    for asset in (customers, raw):
        row = ColumnClass.objects.get(
            asset=asset, field_name="first_name", data_class__slug="person_name"
        )
        assert (
            row.method == "propagated"
            and row.provenance == "propagated from stg_customers.first_name"
        )
    assert propagate()["withdrawn"] == 0  # stable
