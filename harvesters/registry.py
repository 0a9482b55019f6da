"""The registry of source kinds, built from the harvester classes.

Adding a source kind is one package under :mod:`harvesters.kinds` plus its class's
dotted path in :data:`KIND_CLASSES`; the kind's name comes from the class
(``Harvester.kind``), never repeated here.
"""

from django.utils.module_loading import import_string

from harvesters.base import ConfigError, Harvester

#: dotted paths of the harvester classes, one per source kind
KIND_CLASSES: tuple[str, ...] = (
    "harvesters.kinds.sql.harvester.SQLHarvester",
    "harvesters.kinds.dbt.harvester.DbtHarvester",
    "harvesters.kinds.openlineage.harvester.OpenLineageHarvester",
    "harvesters.kinds.lake.harvester.LakeHarvester",
    "harvesters.kinds.push.harvester.PushHarvester",
)


def _kinds(paths: tuple[str, ...]) -> dict[str, str]:
    """``{kind: dotted path}`` read from each class's ``kind``; ValueError when a class
    sets no kind or two classes claim one."""
    kinds: dict[str, str] = {}
    for path in paths:
        kind = import_string(path).kind
        if not kind or kind in kinds:
            raise ValueError(
                f"{path}: kind {kind!r} is empty or already taken by {kinds.get(kind)}"
            )
        kinds[kind] = path
    return kinds


#: ``{kind: dotted path of its Harvester subclass}`` (tests add kinds with ``setitem``)
HARVESTERS: dict[str, str] = _kinds(KIND_CLASSES)


def register_kind(path: str) -> str:
    """Add the harvester class at dotted ``path`` as a source kind, for upper apps that
    bring their own kind (``usage``) from their ``AppConfig.ready()``; returns the kind.

    Idempotent for the same path; ValueError when the class sets no kind or another
    class already claims it.
    """
    kind = import_string(path).kind
    if not kind or HARVESTERS.get(kind, path) != path:
        raise ValueError(
            f"{path}: kind {kind!r} is empty or already taken by {HARVESTERS.get(kind)}"
        )
    HARVESTERS[kind] = path
    return kind


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
