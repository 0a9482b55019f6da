"""Django app config for data products, domains, teams and SLOs."""

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    """Connects the harvest-completion hook that samples SLIs (see :mod:`products.signals`)."""

    name = "products"
    verbose_name = "Data products"

    def ready(self) -> None:
        from catalog.pages import register_page_extension
        from products import signals, sso  # noqa: F401  (connects receivers)
        from products.pages import ProductPages
        from products.permissions import register

        register_page_extension(ProductPages())
        register()  # object rules and team roles into identity.permissions
