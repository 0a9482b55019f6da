"""Small builders of catalog rows that many tests need, written to the real database."""

from catalog.models import Asset, AssetSource, Source
from catalog.urns import dataset_urn


def make_asset(
    qualified_name: str,
    namespace: str = "sqlite://s",
    *,
    source_kind: str | None = None,
    source_name: str | None = None,
    source_config: dict | None = None,
    **fields,
) -> Asset:
    """A table ``urn:mc:dataset:<namespace>/<qualified_name>`` named after the last dotted
    part, its platform the namespace's scheme (``fields`` override any column). With
    ``source_kind`` (``sql``, ``lake``...) a source of that kind (``source_name``, default
    the kind; ``source_config``; created once) reports it, as a harvest would have."""
    values = {
        "kind": "dataset",
        "type": "table",
        "namespace": namespace,
        "name": qualified_name.rsplit(".", 1)[-1],
        "qualified_name": qualified_name,
        "platform": namespace.split("://", 1)[0],
        **fields,
    }
    asset = Asset.objects.create(urn=dataset_urn(namespace, qualified_name), **values)
    if source_kind:
        source, _ = Source.objects.get_or_create(
            name=source_name or source_kind,
            defaults={"kind": source_kind, "config": source_config or {}},
        )
        AssetSource.objects.create(asset=asset, source=source)
    return asset
