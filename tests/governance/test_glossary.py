"""Business glossary (issue 15): terms with groups, synonyms, owners, status and related
terms; links to assets, columns and products; search by name and synonym; pages;
CSV and YAML import/export; the API's rules and 400s."""

import pytest
import yaml
from django.test import Client

from catalog.outbox import process_outbox
from catalog.search import search
from governance.models import GlossaryTerm, TermGroup, TermLink
from tests.governance.conftest import asset_named

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_terms_groups_links_search_and_pages(samples_catalog, users):
    steward = client_for(users["steward"])
    response = post(
        steward,
        "/api/v1/glossary/terms",
        {
            "name": "Customer Contact",
            "definition": "How we **reach** a customer.",
            "synonyms": ["Kontaktdaten", "reach-out"],
            "owners": ["crm@example.com"],
            "status": "approved",
            "group": "Sales/CRM",
        },
    )
    assert response.status_code == 201, response.content
    term = response.json()
    assert term["group"] == "Sales/CRM" and term["status"] == "approved"
    assert TermGroup.objects.get(slug="crm").parent.slug == "sales"
    post(steward, "/api/v1/glossary/terms", {"name": "Customer", "related": ["Customer Contact"]})
    assert client_for().get("/api/v1/glossary/terms/customer-contact").json()["related"] == [
        "Customer"
    ]

    found = client_for().get("/api/v1/glossary/terms", {"q": "kontakt"}).json()["results"]
    assert [t["name"] for t in found] == ["Customer Contact"]
    assert client_for().get("/api/v1/glossary/terms", {"status": "draft"}).json()["count"] == 1

    # attach to a column and an asset (by synonym), then search by the synonym
    customer = asset_named("Customer")
    response = client_for(users["admin"]).patch(
        f"/api/v1/assets/{customer.urn}",
        {"terms": ["customer"], "fields": {"Email": {"terms": ["Kontaktdaten"]}}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert TermLink.objects.filter(
        asset=customer, field_name="Email", term__slug="customer-contact"
    ).exists()
    process_outbox()
    hits = [h["urn"] for h in search("kontaktdaten")["results"]]
    assert hits == [customer.urn]
    assert [h["urn"] for h in search("", {"glossary": ["Customer Contact"]})["results"]] == [
        customer.urn
    ]

    # pages: the glossary tree, the term with its linked column, the asset's terms
    home = client_for().get("/glossary/").content.decode()
    assert "Sales" in home and "CRM" in home and "Customer Contact" in home
    page = client_for().get("/glossary/terms/customer-contact/").content.decode()
    assert (
        "<strong>reach</strong>" in page
        and customer.qualified_name in page
        and "<code>Email</code>" in page
    )
    asset_page = client_for().get(f"/assets/{customer.urn}").content.decode()
    assert 'href="/glossary/terms/customer/"' in asset_page and 'id="column-terms"' in asset_page

    # products: attach, unknown one is a 400 naming it
    bad = steward.patch(
        "/api/v1/glossary/terms/customer", {"products": ["nope"]}, content_type="application/json"
    )
    assert bad.status_code == 400 and "unknown data product 'nope'" in bad.json()["products"][0]


def test_only_stewards_write_and_bad_input_is_named(samples_catalog, users):
    body = {"name": "Revenue"}
    assert post(client_for(users["viewer"]), "/api/v1/glossary/terms", body).status_code == 403
    assert post(client_for(), "/api/v1/glossary/terms", body).status_code in (401, 403)
    steward = client_for(users["steward"])
    assert post(steward, "/api/v1/glossary/terms", body).status_code == 201
    dup = post(steward, "/api/v1/glossary/terms", {"name": "revenue"})
    assert dup.status_code == 400 and "exists" in dup.json()["name"][0]
    bad = post(
        steward,
        "/api/v1/glossary/terms",
        {"name": "Margin", "status": "final", "related": ["Ghost"]},
    )
    assert bad.status_code == 400
    assert "unknown status 'final'" in bad.json()["status"][0]
    assert "unknown term 'Ghost'" in bad.json()["related"][0]
    assert not GlossaryTerm.objects.filter(name="Margin").exists()


def test_csv_and_yaml_round_trip(samples_catalog, users):
    steward = client_for(users["steward"])
    post(
        steward,
        "/api/v1/glossary/terms",
        {"name": "Net Revenue", "synonyms": ["NR"], "group": "Finance"},
    )
    post(
        steward,
        "/api/v1/glossary/terms",
        {"name": "Gross Margin", "related": ["Net Revenue"], "status": "draft"},
    )
    exported_yaml = client_for().get("/api/v1/glossary/export?as=yaml").content.decode()
    exported_csv = client_for().get("/glossary/export.csv").content.decode()
    rows = yaml.safe_load(exported_yaml)["terms"]
    assert {r["name"] for r in rows} == {"Net Revenue", "Gross Margin"}
    assert "Net Revenue,net-revenue,Finance" in exported_csv
    GlossaryTerm.objects.all().delete()

    response = post(steward, "/api/v1/glossary/import", {"format": "csv", "content": exported_csv})
    assert response.json() == {"created": 2, "updated": 0}
    margin = GlossaryTerm.objects.get(name="Gross Margin")
    assert [t.name for t in margin.related.all()] == ["Net Revenue"]
    assert GlossaryTerm.objects.get(name="Net Revenue").synonyms == ["NR"]
    response = post(
        steward, "/api/v1/glossary/import", {"format": "yaml", "content": exported_yaml}
    )
    assert response.json() == {"created": 0, "updated": 2}

    bad = yaml.safe_dump({"terms": [{"name": "Ok"}, {"name": "Broken", "status": "nope"}]})
    response = post(steward, "/api/v1/glossary/import", {"format": "yaml", "content": bad})
    assert response.status_code == 400 and "row 2.status" in response.json()
    assert not GlossaryTerm.objects.filter(name="Ok").exists()  # all or nothing
    assert (
        post(steward, "/api/v1/glossary/import", {"format": "yaml", "content": "a: [b"}).status_code
        == 400
    )
