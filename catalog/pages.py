"""Extension points of the catalog's pages: upper apps add asset tabs, header facts,
panels and home page figures.

The catalog app owns ``/`` and ``/assets/<urn>`` (header, description, schema tab); apps above it
(lineage, harvesters, products, ...) subclass :class:`PageExtension` and register an
instance from their ``AppConfig.ready()`` with :func:`register_page_extension`, as
NetBox plugins extend object pages with template extensions. The catalog never imports
them. Extensions run in registration order (``INSTALLED_APPS`` order).
"""

from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass(frozen=True)
class AssetTab:
    """One tab of the asset page: ``?tab=<name>`` shows ``template`` in the tab panel,
    loading ``scripts`` (static paths) at the end of the page."""

    name: str
    label: str
    template: str
    scripts: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SchemaColumn:
    """An extra column of the schema table: ``label`` heads it; ``values`` maps a field
    name to ``(text, title)`` (title: the tooltip; fields missing show nothing)."""

    label: str
    values: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Badge:
    """A small label beside an asset's name (search results): ``css`` is an extra
    class (``badge--<css>``), ``title`` the tooltip, ``url`` where it links (none: plain
    text)."""

    label: str
    title: str = ""
    css: str = ""
    url: str = ""


class PageExtension:
    """Base class: every hook is optional and returns nothing by default.

    ``asset`` is a :class:`catalog.models.Asset`; ``is_job`` whether it is a job.
    """

    #: template included in the header's facts list (``<div><dt>..</dt><dd>..</dd></div>``)
    header_template: str = ""
    #: template included between the description and the tabs (e.g. data products)
    panel_template: str = ""

    #: template included on the home page below the search box (gets the home context)
    home_template: str = ""

    def home_context(self) -> dict:
        """Figures for the home page (e.g. ``edges_total`` from lineage)."""
        return {}

    def home_user_context(self, request: HttpRequest) -> dict:
        """Home page context that depends on the viewer (e.g. what they used lately)."""
        return {}

    def asset_viewed(self, request: HttpRequest, asset) -> None:
        """Called once per asset page view that opens the page (no ``tab`` parameter);
        ``request.GET["from"] == "search"`` when the viewer clicked a search result.
        Must be cheap and must not raise."""

    def schema_columns(self, asset, fields: list) -> list[SchemaColumn]:
        """Extra columns of the schema table (called when the schema tab is open)."""
        return []

    def hit_badges(self, urns: list[str]) -> dict[str, list[Badge]]:
        """Badges of search results by URN (one call per results page)."""
        return {}

    def tabs(self, asset, is_job: bool) -> list[AssetTab]:
        """Tabs this extension adds, in order (after the catalog's schema tab)."""
        return []

    def header_context(self, asset, is_job: bool) -> dict:
        """Context the header and panel templates need (queried on every page view)."""
        return {}

    def tab_context(self, request: HttpRequest, asset, tab: str) -> dict:
        """Context for the open ``tab`` (called for every tab, this extension's or not)."""
        return {}

    def tab_templates(self, asset, tab: str) -> list[str]:
        """Templates appended inside another extension's open ``tab`` (e.g. the last dbt
        build above a job's runs)."""
        return []


_EXTENSIONS: list[PageExtension] = []


def register_page_extension(extension: PageExtension) -> PageExtension:
    """Add ``extension`` to the catalog's pages (once per class; returns it)."""
    if not any(type(e) is type(extension) for e in _EXTENSIONS):
        _EXTENSIONS.append(extension)
    return extension


def page_extensions() -> list[PageExtension]:
    """The registered extensions, in registration order."""
    return list(_EXTENSIONS)
