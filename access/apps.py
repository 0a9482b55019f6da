"""Django app config of access requests, approvals and grants."""

from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Registers the asset page panel ("Request access") and the product page's
    per-port access section, and loads the Celery tasks."""

    name = "access"
    verbose_name = "Access requests and grants"

    def ready(self) -> None:
        from access import tasks  # noqa: F401  (registers the Celery tasks by name)
        from access.pages import AccessPages
        from catalog.pages import register_page_extension
        from products.pages import register_port_section

        register_page_extension(AccessPages())
        register_port_section("access/_port_section.html")
