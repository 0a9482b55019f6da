"""What notifications adds to other apps' pages: on the asset page a Watch button
(loaded lazily, per user), an open-incident badge and a "Report incident" link; badges on
search results, the product list and the product page; the product page's Watch button."""

from django.urls import reverse

from catalog.pages import Badge, PageExtension
from notifications.incidents import open_counts_by_product
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

    def hit_badges(self, urns: list[str]) -> dict[str, list[Badge]]:
        """An "N open incidents" badge for results whose asset has some (one query)."""
        counts: dict[str, int] = {}
        for urn, asset_id in (
            Incident.objects.filter(asset__urn__in=urns)
            .exclude(state=IncidentState.RESOLVED)
            .values_list("asset__urn", "asset_id")
        ):
            counts[urn] = counts.get(urn, 0) + 1
            counts.setdefault(f"id:{urn}", asset_id)
        base = reverse("notifications:incidents")
        return {
            urn: [
                Badge(
                    label=f"{n} open incident{'s' if n != 1 else ''}",
                    title="Open incidents",
                    css="incident",
                    url=f"{base}?asset={counts[f'id:{urn}']}",
                )
            ]
            for urn, n in counts.items()
            if not urn.startswith("id:")
        }


def product_badges(product_ids) -> dict[int, list[dict]]:
    """``{product id: [open-incident badge]}`` for products with unresolved incidents."""
    base = reverse("notifications:incidents")
    return {
        pk: [_badge(n, f"{base}?product={pk}")]
        for pk, n in open_counts_by_product(product_ids).items()
    }
