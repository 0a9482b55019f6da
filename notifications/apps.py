"""Django app config of subscriptions, notifications and incidents."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Connects the receivers, registers the asset page extension (Watch button,
    incident badge, search result badges) and the product page hooks (Watch button in the
    header, a per-port Mute button for automatic subscriptions), loads the tasks."""

    name = "notifications"
    verbose_name = "Notifications and incidents"

    def ready(self) -> None:
        from catalog.pages import register_page_extension
        from notifications import receivers, tasks  # noqa: F401  (receivers, task names)
        from notifications.pages import NotificationPages, product_badges
        from products.pages import (
            register_domain_header,
            register_port_section,
            register_product_badges,
            register_product_header,
        )

        register_page_extension(NotificationPages())
        register_product_header("notifications/_product_header.html")
        register_port_section("notifications/_port_section.html")
        register_product_badges(product_badges)
        register_domain_header("notifications/_domain_header.html")
