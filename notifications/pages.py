"""What notifications adds to other apps' pages: on the asset page a Watch button
(loaded lazily, per user), an open-incident badge and a "Report incident" link; badges on
search results, the product list and the product page; the product page's Watch button."""

from django.urls import reverse

from catalog.pages import PageExtension
from notifications.incidents import open_counts_by_asset, open_counts_by_product
from notifications.models import Incident, IncidentState


def _badge(count: int, url: str) -> dict:
    return {
        "label": f"{count} open incident{'s' if count != 1 else ''}",
        "title": "Open incidents",
        "url": url,
        "css": "badge--incident",
    }


class NotificationPages(PageExtension):
    """Asset page header fact ``notifications/_asset_header.html`` (one query for the
    open incidents; the Watch button is an ``hx-get``) and search result badges."""

    header_template = "notifications/_asset_header.html"

    def header_context(self, asset, is_job: bool) -> dict:
        """``open_incidents``: the asset's unresolved incidents (newest first, up to 5)."""
        rows = list(
            Incident.objects.filter(asset=asset)
            .exclude(state=IncidentState.RESOLVED)
            .only("id", "title", "state", "severity")[:5]
        )
        return {"open_incidents": rows}

    def result_badges(self, urns: list[str]) -> dict[str, list[dict]]:
        """An "N open incidents" badge for results whose asset has some (one query)."""
        from catalog.models import Asset

        ids = dict(Asset.objects.filter(urn__in=urns).values_list("id", "urn"))
        counts = open_counts_by_asset(ids)
        base = reverse("notifications:incidents")
        return {
            ids[asset_id]: [_badge(n, f"{base}?asset={asset_id}")] for asset_id, n in counts.items()
        }


def product_badges(product_ids) -> dict[int, list[dict]]:
    """``{product id: [open-incident badge]}`` for products with unresolved incidents."""
    base = reverse("notifications:incidents")
    return {
        pk: [_badge(n, f"{base}?product={pk}")]
        for pk, n in open_counts_by_product(product_ids).items()
    }
