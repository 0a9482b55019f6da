"""The web catalog in a real browser: Playwright driving Debian's Chromium.

A catalog server runs in a subprocess on the quickstart data (see
:mod:`tests.browser_server`); each test drives it like a user and saves a screenshot of
what it saw under ``test-artifacts/`` (gitignored).
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser_server import DEMO_USER, start_catalog_server

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
JAFFLE = "urn:mc:dataset:duckdb://jaffle_shop/jaffle_shop.main."
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
    """A fresh browser tab at desktop size; JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.base_url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would be drawn mid-page
    page.screenshot(path=str(path), full_page=True)
    return path


def hit_names(page) -> list[str]:
    return page.locator(".hit .hit__name").all_inner_texts()


def search_from_box(page, text: str) -> None:
    """Focus the global search with "/", type ``text`` and submit with Enter."""
    page.goto("/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-search"
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))


def test_home_page_and_autocomplete(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Find any data asset in a keystroke"
    platforms = page.locator("#platforms-h + .countlist li").all_inner_texts()
    assert any(p.split() == ["sqlite", "11"] for p in platforms), platforms
    shot(page, "home")
    page.keyboard.press("/")
    page.keyboard.type("cust")
    options = page.locator("#global-search-suggestions [role=option]")
    options.first.wait_for()
    assert page.get_attribute("#global-search", "aria-expanded") == "true"
    names = page.locator("#global-search-suggestions .sug__name").all_inner_texts()
    assert "customers" in names and "Customer" in names, names
    shot(page, "autocomplete")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#global-search", "aria-activedescendant") == "sug-0"


def test_search_customers_first_result_and_facet_counts(page):
    search_from_box(page, "customers")
    names = hit_names(page)
    assert names[0] == "customers"
    first_platform = page.locator(".hit").first.locator(".platform").inner_text()
    assert first_platform in {"duckdb", "dbt"}
    count = int(page.locator(".results__count").get_attribute("data-count"))
    type_counts = [
        int(c) for c in page.locator('[data-facet="type"] [data-count]').all_inner_texts()
    ]
    assert type_counts and sum(type_counts) == count
    assert page.locator('[data-facet="platform"] input[type=checkbox]').count() >= 2
    shot(page, "search-customers")
    # a facet checkbox filters and keeps the filter in the URL
    page.locator('[data-facet="type"] input[value="view"]').check()
    page.wait_for_url(re.compile(r"type=view"))
    assert set(page.locator(".hit .badge").all_inner_texts()) == {"VIEW"}
    assert page.locator('[data-facet="type"] input[value="view"]').is_checked()


def test_search_typo_finds_both_customer_tables(page):
    search_from_box(page, "custmer")
    top3 = hit_names(page)[:3]
    assert "Customer" in top3 and "customers" in top3, top3
    shot(page, "search-typo")


def test_search_empty_state(page):
    page.goto("/search?q=qwxzzyv")
    assert page.locator(".empty h2").inner_text() == "No assets match “qwxzzyv”"
    shot(page, "search-empty")


def test_asset_page_lists_columns_and_filters_them(page):
    search_from_box(page, "customers")
    page.locator(".hit", has=page.locator(".platform", has_text="duckdb")).filter(
        has=page.locator(".hit__name", has_text=re.compile(r"^customers$"))
    ).locator(".hit__name").click()
    page.wait_for_url(re.compile(r"/assets/urn:mc:dataset:duckdb://"))
    assert page.locator("h1").inner_text() == "customers"
    columns = page.locator("#schema-table tbody th.colname").all_inner_texts()
    assert columns == [
        "customer_id",
        "first_name",
        "last_name",
        "first_order",
        "most_recent_order",
        "number_of_orders",
        "customer_lifetime_value",
    ]
    shot(page, "asset-customers")
    page.fill("#column-filter", "order")
    visible = page.locator("#schema-table tbody tr:visible th.colname").all_inner_texts()
    assert visible == ["first_order", "most_recent_order", "number_of_orders"]
    assert page.locator("#column-filter-status").inner_text() == "3 of 7 columns"


def graph_nodes(page) -> dict[str, str]:
    """``{name: classes}`` of the nodes drawn in the lineage graph."""
    return page.evaluate(
        "() => Object.fromEntries(window.meshLineage.cy.nodes().map(n => [n.data('name'), n.classes().join(' ')]))"
    )


def node_point(page, name: str) -> tuple[float, float]:
    """Viewport coordinates of the graph node called ``name`` (graph scrolled into view)."""
    graph = page.locator("#lineage-graph")
    graph.scroll_into_view_if_needed()
    # Cytoscape caches the canvas's page offset and drops the cache on the "scroll" event,
    # which the browser dispatches with the next frame: a click sent before then lands on
    # stale coordinates. Two animation frames guarantee the event has been handled.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    box = graph.bounding_box()
    x, y = page.evaluate(
        "(name) => { const n = window.meshLineage.cy.nodes().filter(n => n.data('name') === name)[0];"
        " const p = n.renderedPosition(); return [p.x, p.y]; }",
        name,
    )
    return box["x"] + x, box["y"] + y


def graph_state(page) -> str:
    """What the user sees around the graph: the status line, the panel title, the nodes."""
    return page.evaluate(
        """() => [document.getElementById('lineage-status').textContent,
                  (document.querySelector('#lineage-panel h3') || {}).textContent,
                  window.meshLineage.cy.nodes().map(n => n.data('name')).sort().join(',')].join(' | ')"""
    )


def wait_for_graph_state(page, predicate: str) -> None:
    """Wait for a JavaScript ``predicate``; on timeout fail with what the graph showed."""
    try:
        page.wait_for_function(predicate)
    except PlaywrightTimeout:
        pytest.fail(f"graph never reached {predicate!r}; it showed: {graph_state(page)}")


def click_node(page, name: str) -> None:
    """Click the node called ``name`` and wait until its details panel opens.

    The click is sent again once if the panel did not open within 3 s: Chromium can drop
    synthetic input that arrives while it is still compositing a freshly scrolled frame.
    """
    selected = (
        f"() => (document.querySelector('#lineage-panel h3') || {{}}).textContent === {name!r}"
    )
    for _attempt in range(2):
        page.mouse.click(*node_point(page, name))
        try:
            page.wait_for_function(selected, timeout=3_000)
            return
        except PlaywrightTimeout:
            continue
    pytest.fail(f"clicking {name} did not select it; the graph showed: {graph_state(page)}")


def wait_for_graph(page, min_nodes: int) -> None:
    page.wait_for_function(
        f"() => window.meshLineage && window.meshLineage.cy.nodes().length >= {min_nodes}"
    )


def test_lineage_graph_draws_upstream_expands_and_opens(page):
    page.goto(f"/assets/{JAFFLE}customers?tab=lineage")
    wait_for_graph(page, 4)
    nodes = graph_nodes(page)
    for name in ("stg_customers", "stg_orders", "stg_payments"):
        assert "upstream" in nodes[name], nodes
    assert "root" in nodes["customers"]
    # every node is drawn inside the visible canvas
    inside = page.evaluate(
        """() => { const cy = window.meshLineage.cy, w = cy.width(), h = cy.height();
                   return cy.nodes().every(n => { const p = n.renderedPosition();
                     return p.x > 0 && p.x < w && p.y > 0 && p.y < h; }); }"""
    )
    assert inside
    shot(page, "lineage-customers")
    # one hop only, then click stg_orders to load one more level (raw_orders)
    page.select_option("#lineage-depth", "1")
    page.wait_for_function("() => window.meshLineage.cy.nodes().length === 4")
    assert "raw_orders" not in graph_nodes(page)
    click_node(page, "stg_orders")
    wait_for_graph_state(
        page, "() => window.meshLineage.cy.nodes().some(n => n.data('name') === 'raw_orders')"
    )
    # column level
    page.click("button[data-level=column]")
    page.select_option("#lineage-column", "customer_id")
    page.wait_for_function(
        "() => window.meshLineage.cy.nodes().some(n => n.data('name') === 'stg_customers.customer_id')"
    )
    shot(page, "lineage-columns")
    # double-click a node opens its page
    page.click("button[data-level=dataset]")
    wait_for_graph(page, 4)
    page.wait_for_timeout(400)  # let the layout settle before clicking
    page.mouse.dblclick(*node_point(page, "stg_payments"))
    page.wait_for_url(re.compile(r"jaffle_shop\.main\.stg_payments$"))
    assert page.locator("h1").inner_text() == "stg_payments"


def test_lineage_graph_drops_answers_to_superseded_requests(page):
    """Changing the depth twice: the slow first answer must not mix into the second graph."""
    page.goto(f"/assets/{JAFFLE}customers?tab=lineage")
    wait_for_graph(page, 4)
    held = []
    page.route(re.compile(r"/api/v1/lineage\?.*depth=all"), lambda route: held.append(route))
    page.select_option("#lineage-depth", "all")
    page.wait_for_function(
        "() => document.getElementById('lineage-status').textContent.startsWith('Loading')"
    )
    assert len(held) == 1
    page.select_option("#lineage-depth", "1")
    wait_for_graph_state(page, "() => window.meshLineage.cy.nodes().length === 4")
    held[0].continue_()  # the superseded "all hops" answer arrives last
    page.wait_for_timeout(500)
    assert sorted(graph_nodes(page)) == ["customers", "stg_customers", "stg_orders", "stg_payments"]


def test_impact_tab_of_raw_payments(page):
    page.goto(f"/assets/{JAFFLE}raw_payments?tab=impact")
    names = page.locator("[data-impact-row] th a").all_inner_texts()
    assert sorted(names) == ["customers", "orders", "stg_payments"]
    assert page.locator("[data-impact-count]").inner_text() == "3"
    href = page.get_attribute("a[download]", "href")
    assert href.startswith("/api/v1/impact?") and "format=csv" in href
    shot(page, "impact-raw-payments")


def sign_in(page) -> None:
    page.goto("/accounts/login/?next=/sources/")
    page.fill("#id_username", DEMO_USER[0])
    page.fill("#id_password", DEMO_USER[1])
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/sources/$"))


def sign_in_to(page, path: str) -> None:
    """Sign in as the demo user and land on ``path``."""
    page.goto(f"/accounts/login/?next={path}")
    page.fill("#id_username", DEMO_USER[0])
    page.fill("#id_password", DEMO_USER[1])
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + "$"))


def test_products_domains_and_a_product_page(page):
    sign_in_to(page, "/products/")
    rows = page.locator(".products-table tbody tr")
    assert sorted(rows.locator(".product-name").all_inner_texts()) == [
        "Chinook Invoicing",
        "Customer 360",
        "Jaffle Shop Staging",
    ]
    assert rows.locator(".slo-badge").count() == 3  # SLO health at a glance
    shot(page, "products")
    page.click("a.product-name:has-text('Customer 360')")
    page.wait_for_url(re.compile(r"/products/jaffle-customer-360/$"))
    lineage = page.locator(".lineage-products").inner_text()
    assert "Upstream: Jaffle Shop Staging" in lineage.replace("\n", " "), lineage
    assert page.locator("table.slos tbody tr").count() >= 4
    assert page.locator("svg[aria-label]").count() >= 4  # an SLO history chart each
    shot(page, "product-customer-360")
    # the asset page names its product and domain, and its owner is the product's team
    page.goto(f"/assets/{JAFFLE}customers")
    assert "Customer 360" in page.locator("main").inner_text()
    assert "Jaffle Analytics" in page.locator("main").inner_text()
    page.goto("/domains/")
    # a tree: Retail holds Sales (owned by the Jaffle team) and the Media store
    children = page.locator("#domain-retail .domaintree__children .domaintree__name")
    assert sorted(children.all_inner_texts()) == ["Media store", "Sales"]
    assert "Jaffle Analytics" in page.locator("#domain-sales").inner_text()
    shot(page, "domains")


def test_harvest_now_shows_progress_and_final_counts(page):
    page.goto("/sources/")
    assert page.locator("#source-chinook a", has_text="Sign in to harvest").count() == 1
    sign_in(page)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/progress" in r.url else None)
    section = page.locator("#source-chinook")
    section.locator("button", has_text="Harvest now").click()
    progress = section.locator(".runprogress")
    progress.wait_for()
    assert page.url.endswith("/sources/")  # the page did not navigate or block
    section.locator('.runprogress[data-status="succeeded"]').wait_for(timeout=60_000)
    counts = section.locator("[data-counts]").inner_text()
    assert "11 datasets" in counts and "64 fields" in counts and "0 errors" in counts
    assert polls, "the progress fragment was never polled"
    # the run table was refreshed in place (out-of-band swap), newest run first
    run_id = section.locator(".runprogress").get_attribute("data-run")
    first_row = section.locator("tbody tr").first
    assert first_row.locator("td a").first.inner_text() == f"#{run_id}"
    assert first_row.locator(".status").inner_text() == "SUCCEEDED"
    shot(page, "sources-harvested")


def test_friendly_404(page):
    resp = page.goto("/assets/urn:mc:dataset:nowhere://x/y")
    assert resp.status == 404
    assert page.locator("h1").inner_text() == "We couldn’t find that page"
    shot(page, "not-found")


@pytest.mark.parametrize(
    "path,name",
    [
        ("/", "home"),
        ("/search?q=customers", "search"),
        (f"/assets/{JAFFLE}customers", "asset"),
        (f"/assets/{JAFFLE}customers?tab=lineage", "lineage"),
        ("/sources/", "sources"),
        ("/products/", "products"),
        ("/products/jaffle-customer-360/", "product"),
        ("/domains/", "domains"),
    ],
)
def test_phone_width_has_no_horizontal_scroll(browser, server, path, name):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        base_url=server.base_url,
        is_mobile=True,
        has_touch=True,
    )
    tab = context.new_page()
    if path.startswith(("/products", "/domains")):
        sign_in_to(tab, path)
    tab.goto(path)
    tab.wait_for_load_state("networkidle")
    overflow = tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    shot(tab, f"phone-{name}")
    context.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at phone width"


CONTRAST_JS = """
() => {
  const lum = (rgb) => { const c = rgb.map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const bg = (el) => { for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3); }
    return [255, 255, 255]; };
  const bad = [];
  document.querySelectorAll('body *').forEach(el => {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.offsetParent) return;
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const a = lum(fg), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  });
  return bad;
}
"""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=customers",
        f"/assets/{JAFFLE}customers",
        "/sources/",
        "/products/",
        "/products/jaffle-customer-360/",
        "/domains/",
    ],
)
def test_accessibility_labels_contrast_and_focus_order(page, path):
    if path.startswith(("/products", "/domains")):
        sign_in_to(page, path)
    page.goto(path)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
              .map(el => el.id || el.name)"""
    )
    assert unlabelled == []
    assert page.evaluate(CONTRAST_JS) == []
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "brand"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "global-search"
