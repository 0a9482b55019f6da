"""Browser test (Chromium): an SLO breach lights the owner's bell; the inbox links to the
incident page, which shows the downstream impact; the owner acknowledges it and the
state and timeline change; the asset page shows the incident badge and a Watch button."""

import os

import pytest

from notifications.models import Incident
from products.slo import record_sample

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_bell_incident_page_and_acknowledge(transactional_db, live_server, browser, mesh):
    record_sample(mesh.slo, 5.0)  # committed: the breach opens the incident and notifies
    incident = Incident.objects.get()

    page = browser.new_context(base_url=live_server.url).new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/accounts/login/?next=/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    unread = page.locator("#notify-unread")  # loaded by htmx after the page
    unread.wait_for()
    assert int(unread.inner_text()) >= 2  # SLO breached + incident opened
    page.click("#notify-bell")
    page.wait_for_url("**/notifications/")
    page.get_by_role("link", name=f"Incident opened: {incident.title}").click()
    page.wait_for_url(f"**/incidents/{incident.pk}/")
    assert page.locator("#incident-state").inner_text().lower() == "open"
    impact = page.get_by_role("region", name="Affected downstream (at opening)").inner_text()
    assert "Reporting" in impact and "revenue" in impact
    page.click("#acknowledge")
    page.wait_for_url(f"**/incidents/{incident.pk}/")
    assert page.locator("#incident-state").inner_text().lower() == "acknowledged"
    assert page.locator("#incident-assignee").inner_text() == "owner"
    assert "Acknowledged by owner" in page.locator("#timeline").inner_text()

    page.goto(f"/assets/{mesh.downstream.urn}")
    page.goto(f"/assets/{mesh.asset.urn}")
    assert page.locator(".badge--incident").first.inner_text().startswith(f"#{incident.pk}")
    watch = page.locator(".watch-button")
    watch.wait_for()
    assert watch.inner_text() == "Watch"
    watch.click()
    page.locator(".watch-button", has_text="Watching").wait_for()

    page.goto("/")  # opening the notification marked it read
    page.locator("#notify-bell").wait_for()
    assert errors == [], f"JavaScript errors: {errors}"
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
