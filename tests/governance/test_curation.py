"""Curation (issue 15): owners, stewards and admins edit descriptions, tags, owners and
column docs through ``PATCH /api/v1/assets/<urn>`` and the asset page; curated values
survive a re-harvest, fall back to harvested ones when removed, and are recorded."""

import pytest
from django.test import Client

from catalog.models import Owner, Ownership, Source
from catalog.outbox import process_outbox
from catalog.search import search
from governance.models import CurationChange
from harvesters.runner import run_harvest
from tests.governance.conftest import asset_named

pytestmark = pytest.mark.django_db


def api(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def patch(client: Client, urn: str, body):
    return client.patch(f"/api/v1/assets/{urn}", body, content_type="application/json")


def test_curated_values_survive_reharvest_and_fall_back(samples_catalog, users):
    customer = asset_named("Customer")
    harvested_email = customer.fields.get(name="Email").description
    body = {
        "description": "People who **buy** music.",
        "tags": ["crm", "gold"],
        "owners": [{"name": "sales-team", "type": "business_owner", "kind": "team"}],
        "fields": {"Email": {"description": "Primary contact e-mail.", "tags": ["contact"]}},
    }
    response = patch(api(users["admin"]), customer.urn, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["description"] == "People who **buy** music."
    assert data["curated_description"] == "People who **buy** music."
    assert data["harvested_description"] == customer.description
    assert {"crm", "gold"} <= set(data["tags"]) and data["curated_tags"] == ["crm", "gold"]
    assert {
        "name": "sales-team",
        "kind": "team",
        "type": "business_owner",
        "origin": "curated",
    } in data["owners"]
    email = next(f for f in data["fields"] if f["name"] == "Email")
    assert email["description"] == "Primary contact e-mail."
    assert email["harvested_description"] == harvested_email
    assert "contact" in email["tags"]

    # re-harvest Chinook: curated values stay, harvested ones are refreshed
    run = run_harvest(Source.objects.get(name="chinook"))
    assert run.status == "succeeded", run.errors
    customer.refresh_from_db()
    assert customer.curated_description == "People who **buy** music."
    assert customer.fields.get(name="Email").curated_description == "Primary contact e-mail."
    assert set(customer.curated_tags.values_list("name", flat=True)) == {"crm", "gold"}
    assert Ownership.objects.filter(asset=customer, origin="curated").count() == 1

    # the page shows the curated description and says the harvested one differs
    page = api().get(f"/assets/{customer.urn}")
    html = page.content.decode()
    assert "People who <strong>buy</strong> music." in html
    assert 'data-shown="curated"' in html

    # removing the curated values falls back to the harvested ones
    response = patch(
        api(users["admin"]),
        customer.urn,
        {"description": None, "tags": [], "owners": [], "fields": {"Email": {"description": None}}},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["description"] == customer.description and data["curated_description"] is None
    assert data["curated_tags"] == []
    assert not [o for o in data["owners"] if o["origin"] == "curated"]
    email = next(f for f in data["fields"] if f["name"] == "Email")
    assert email["description"] == harvested_email and email["curated_description"] is None

    # every change is recorded with author and time, newest first
    history = api().get(f"/api/v1/assets/{customer.urn}/history").json()["results"]
    assert history[0]["author"] == "gov-admin" and history[0]["at"]
    attrs = {(h["field"], h["attribute"]) for h in history}
    assert {
        ("", "description"),
        ("", "tags"),
        ("", "owners"),
        ("Email", "description"),
        ("Email", "tags"),
    } <= attrs
    described = [h for h in history if h["attribute"] == "description" and not h["field"]]
    assert [h["new"] for h in described] == [None, "People who **buy** music."]
    tab = api().get(f"/assets/{customer.urn}?tab=edits").content.decode()
    assert 'id="history-table"' in tab and "gov-admin" in tab


def test_search_finds_curated_description_and_tags(samples_catalog, users):
    invoice = asset_named("Invoice")
    response = patch(
        api(users["steward"]), invoice.urn, {"description": "Zorblax billing", "tags": ["quuxtag"]}
    )
    assert response.status_code == 200, response.content
    process_outbox()
    hits = search("zorblax")["results"]
    assert [h["urn"] for h in hits] == [invoice.urn]
    tagged = search("", {"tag": ["quuxtag"]})["results"]
    assert [h["urn"] for h in tagged] == [invoice.urn]
    assert api().get("/api/v1/assets?tag=quuxtag").json()["count"] == 1


def test_who_may_curate(samples_catalog, users):
    customer = asset_named("Customer")
    body = {"description": "x"}
    assert patch(api(), customer.urn, body).status_code in (401, 403)
    assert patch(api(users["viewer"]), customer.urn, body).status_code == 403
    assert patch(api(users["steward"]), customer.urn, body).status_code == 200
    # an owner named on the asset (by e-mail) may curate it, not another asset
    owner = Owner.objects.create(name="owner@example.com")
    Ownership.objects.create(asset=customer, owner=owner, origin="chinook")
    assert patch(api(users["owner"]), customer.urn, {"description": "y"}).status_code == 200
    assert patch(api(users["owner"]), asset_named("Invoice").urn, body).status_code == 403
    assert not CurationChange.objects.filter(author=users["viewer"]).exists()


@pytest.mark.parametrize(
    ("body", "item", "reason"),
    [
        ({"terms": ["No Such Term"]}, "terms", "unknown term 'No Such Term'"),
        ({"fields": {"Nope": {"description": "x"}}}, "fields.Nope", "no column 'Nope'"),
        ({"fields": {"Email": {"terms": ["Ghost"]}}}, "fields.Email.terms", "unknown term 'Ghost'"),
        ({"owners": [{"name": "a", "type": "boss"}]}, "owners[0]", "unknown ownership type 'boss'"),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"tags": "crm"}, "tags", "list of tag names"),
        ({"description": 5}, "description", "must be a string"),
    ],
)
def test_bad_input_is_a_400_naming_the_item(samples_catalog, users, body, item, reason):
    customer = asset_named("Customer")
    response = patch(api(users["admin"]), customer.urn, body)
    assert response.status_code == 400, response.content
    assert reason in " ".join(response.json()[item])
    assert not CurationChange.objects.filter(asset=customer).exists()


def test_page_forms_curate_inline(samples_catalog, users):
    customer = asset_named("Customer")
    client = api(users["admin"])
    page = client.get(f"/assets/{customer.urn}").content.decode()
    assert 'id="curate-asset"' in page and 'id="curate-columns"' in page
    assert (
        'id="curate-asset"'
        not in api(users["viewer"]).get(f"/assets/{customer.urn}").content.decode()
    )
    response = client.post(
        "/governance/curate",
        {
            "urn": customer.urn,
            "description": "Curated *here*",
            "tags": "a, b",
            "owners": "x@example.com data_steward",
            "terms": "",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.curated_description == "Curated *here*"
    assert Ownership.objects.get(asset=customer, origin="curated").type == "data_steward"
    # the harvested text submitted unchanged means "no curated value"
    client.post(
        "/governance/curate",
        {"urn": customer.urn, "description": customer.description, "tags": "a, b"},
    )
    customer.refresh_from_db()
    assert customer.curated_description is None
    client.post(
        "/governance/curate",
        {
            "urn": customer.urn,
            "scope": "columns",
            "col:Phone:description": "Phone, E.164",
            "col:Phone:tags": "contact",
        },
    )
    phone = customer.fields.get(name="Phone")
    assert phone.curated_description == "Phone, E.164" and phone.curated_tags == ["contact"]
    bad = client.post("/governance/curate", {"urn": customer.urn, "terms": "Unknown"}, follow=True)
    assert "unknown term" in bad.content.decode()
    assert (
        api(users["viewer"])
        .post("/governance/curate", {"urn": customer.urn, "description": "z"})
        .status_code
        == 403
    )
