"""The registry of harvester kinds: adding a source is one module plus one line here."""

from django.utils.module_loading import import_string

from harvesters.base import ConfigError, Harvester

HARVESTERS: dict[str, str] = {
    "sql": "harvesters.kinds.sql.harvester.SQLHarvester",
    "dbt": "harvesters.kinds.dbt.harvester.DbtHarvester",
    "openlineage": "harvesters.kinds.openlineage.harvester.OpenLineageHarvester",
    "lake": "harvesters.kinds.lake.harvester.LakeHarvester",
}


def harvester_class(kind: str) -> type[Harvester]:
    """Return the harvester class for ``kind``; ConfigError if the kind is unknown."""
    try:
        return import_string(HARVESTERS[kind])
    except KeyError:
        raise ConfigError(
            f"unknown source kind '{kind}'; known kinds: {', '.join(sorted(HARVESTERS))}"
        ) from None


def validate_source_config(kind: str, config: dict) -> dict:
    """Validate ``config`` for a source of ``kind`` and return it normalised (JSON-able).

    Raises ConfigError naming the unknown kind or each bad key.
    """
    return harvester_class(kind).parse_config(config).model_dump(mode="json", exclude_unset=True)
