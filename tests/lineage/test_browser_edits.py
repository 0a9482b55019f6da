"""Manual lineage and the lineage date control in a real browser (issue 13): an owner
adds an edge from the lineage tab, sees it in the graph with its provenance, removes it,
and the date control shows the graph as it was before.

The catalog runs on the quickstart data (:mod:`tests.browser_server`); the demo user
``admin`` is staff, so it may edit any lineage.
"""

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser_server import DEMO_USER, start_catalog_server

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

JAFFLE = "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main."
CUSTOMERS, PAYMENTS = JAFFLE + "customers", JAFFLE + "raw_payments"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The catalog on the quickstart data, served from its own var folder."""
    catalog = start_catalog_server(
        tmp_path_factory.mktemp("catalog-var"), Path(settings.MESH_SAMPLES_DIR)
    )
    yield catalog
    catalog.stop()


@pytest.fixture
def page(browser, server):
    """A signed-in tab (UTC clock) on the lineage tab of jaffle_shop's customers;
    JavaScript errors fail the test."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.base_url, timezone_id="UTC"
    )
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    path = f"/assets/{CUSTOMERS}"
    tab.goto(f"/accounts/login/?next={path}?tab=lineage")
    tab.fill("#id_username", DEMO_USER[0])
    tab.fill("#id_password", DEMO_USER[1])
    tab.click("form button[type=submit]")
    tab.wait_for_url(re.compile(r"tab=lineage$"))
    loaded(tab)
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def loaded(page) -> None:
    page.wait_for_function(
        "() => /node/.test(document.getElementById('lineage-status').textContent)"
    )


def edge_ids(page) -> set[str]:
    return set(page.evaluate("window.meshLineage.cy.edges().map(e => e.id())"))


def manual_edge(page) -> str:
    return f"{PAYMENTS}→{CUSTOMERS}"


def add_payments_edge(page) -> None:
    page.click("#lineage-add summary")
    page.select_option("#lineage-add-form select[name=relation]", "upstream")
    page.fill("#lineage-add-form input[name=other]", PAYMENTS)
    page.fill("#lineage-add-form textarea[name=note]", "the finance export joins them")
    page.click("#lineage-add-form button[type=submit]")
    page.wait_for_function(
        "() => /Added a manual dataset edge/.test("
        "document.getElementById('lineage-add-status').textContent)"
    )
    loaded(page)


def test_add_an_edge_see_its_provenance_and_remove_it(page):
    assert manual_edge(page) not in edge_ids(page)
    # a bad URN is refused with the reason, nothing is added
    page.click("#lineage-add summary")
    page.fill("#lineage-add-form input[name=other]", JAFFLE + "nope")
    page.fill("#lineage-add-form textarea[name=note]", "x")
    page.click("#lineage-add-form button[type=submit]")
    page.wait_for_function(
        "() => /Not added: upstream: no asset/.test("
        "document.getElementById('lineage-add-status').textContent)"
    )
    page.click("#lineage-add summary")  # closed again; add_payments_edge opens it
    add_payments_edge(page)
    assert manual_edge(page) in edge_ids(page)
    classes = page.evaluate(
        f"window.meshLineage.cy.getElementById({manual_edge(page)!r}).classes()"
    )
    assert "manual" in classes
    page.evaluate(f"window.meshLineage.cy.getElementById({manual_edge(page)!r}).emit('tap')")
    panel = page.locator("#lineage-panel")
    assert "manual, by admin" in panel.inner_text()
    assert "the finance export joins them" in panel.inner_text()
    panel.get_by_role("button", name="Remove edge").click()
    page.wait_for_function(
        "() => /Edge removed/.test(document.getElementById('lineage-status').textContent)"
        " || !window.meshLineage.cy.getElementById(" + repr(manual_edge(page)) + ").length"
    )
    loaded(page)
    assert manual_edge(page) not in edge_ids(page)


def test_date_control_shows_the_graph_as_it_was(page):
    now_edges = edge_ids(page)
    assert now_edges  # the harvested lineage of customers
    before_add = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.2)
    add_payments_edge(page)
    assert manual_edge(page) in edge_ids(page)
    # back to a second before the manual edge: the harvested edges only
    page.fill("#lineage-as-of", before_add.strftime("%Y-%m-%dT%H:%M:%S"))
    page.wait_for_function(
        "() => /As of/.test(document.getElementById('lineage-status').textContent)"
    )
    assert manual_edge(page) not in edge_ids(page)
    assert edge_ids(page) == now_edges
    # long before the harvest: no edge at all
    page.fill("#lineage-as-of", (before_add - timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.wait_for_function(
        "() => /0 edges\\. As of/.test(document.getElementById('lineage-status').textContent)"
    )
    page.click("#lineage-now")
    page.wait_for_function(
        "() => !/As of/.test(document.getElementById('lineage-status').textContent)"
        " && /node/.test(document.getElementById('lineage-status').textContent)"
    )
    assert manual_edge(page) in edge_ids(page)
