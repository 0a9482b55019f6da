"""Browser test (Chromium): the owner mutes an output port from the product page's port
card (htmx swaps the button) and unmutes it again."""

import os

import pytest

from notifications.models import Subscription, TargetKind

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_mute_button_on_the_product_page(transactional_db, live_server, browser, mesh):
    page = browser.new_context(base_url=live_server.url).new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/accounts/login/?next=/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"/products/{mesh.product.uid}/")
    mute = page.get_by_role("button", name="Mute notifications of invoices", exact=True)
    mute.wait_for()
    assert "Notified as owner" in page.locator(f"#port-mute-{mesh.port.pk}").inner_text()
    mute.click()
    page.get_by_role("button", name="Unmute notifications of invoices", exact=True).wait_for()
    assert Subscription.objects.get(user=mesh.owner, target_kind=TargetKind.PORT).muted
    page.get_by_role("button", name="Unmute notifications of invoices", exact=True).click()
    page.get_by_role("button", name="Mute notifications of invoices", exact=True).wait_for()
    assert not Subscription.objects.filter(user=mesh.owner, muted=True).exists()
    assert errors == [], f"JavaScript errors: {errors}"
