"""The shape every harvester follows (after DataHub's ``Source``).

A harvester has a pydantic ``config_class`` (``extra="forbid"`` so a typo fails loudly)
and a :meth:`Harvester.records` generator of records from :mod:`harvesters.records`.
It reports per-item problems on ``self.report`` and carries on; it raises
:class:`HarvestError` only for faults that stop the whole run (source unreachable).
"""

from collections.abc import Iterator
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from harvesters.records import Record
from harvesters.report import HarvestReport


class HarvestError(Exception):
    """A fault that stops a whole run (e.g. the source cannot be reached)."""


class ConfigError(ValueError):
    """A source config that does not validate; the message names each bad key."""


class HarvesterConfig(BaseModel):
    """Base for harvester configs: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class Harvester:
    """Base class: subclasses set ``kind``, ``config_class`` and implement ``records``."""

    kind: ClassVar[str] = ""
    config_class: ClassVar[type[HarvesterConfig]] = HarvesterConfig
    #: False for push-based kinds (``openlineage``): nothing is crawled, so the runner
    #: never soft-deletes what a run did not report
    stale_removal: ClassVar[bool] = True

    def __init__(self, config: HarvesterConfig, report: HarvestReport) -> None:
        self.config = config
        self.report = report
        #: the ``catalog.Source`` and ``catalog.HarvestRun`` being harvested, set by the
        #: runner before :meth:`records` (None when a harvester runs on its own); kinds that
        #: store more than records (``usage``) write their own tables through them, inside
        #: the run's transaction
        self.source = None
        self.run = None
        #: set by the runner when it resumes a run: the ``key`` of the last
        #: :class:`~harvesters.records.Checkpoint` committed; the harvester yields only
        #: what comes after it (kinds that yield no checkpoints are never resumed)
        self.resume_after = None
        #: what the harvester expects to yield (assets), once it knows; shown as progress
        self.expected_total: int | None = None

    def records(self) -> Iterator[Record]:
        """Yield the records of this source; see :mod:`harvesters.records`."""
        raise NotImplementedError

    def probe(self) -> str:
        """Test connection: reach the source read-only and say what was found, in words.

        This default reads up to the first record of :meth:`records` and stops; kinds
        override it with something cheaper (``sql``: connect and list the schemas).
        Raises :class:`HarvestError` with the reason when the source cannot be reached.
        """
        records = self.records()
        try:
            first = next(iter(records), None)
        finally:
            close = getattr(records, "close", None)
            if close:
                close()
        if first is None:
            return "reached the source: it has nothing to harvest yet"
        return f"reached the source: first item {getattr(first, 'urn', type(first).__name__)}"

    @classmethod
    def parse_config(cls, raw: dict) -> HarvesterConfig:
        """Validate ``raw`` into ``config_class``.

        Raises ConfigError naming each offending key and why, e.g.
        ``"unknown key 'urll'"`` or ``"url: field required"``.
        """
        try:
            return cls.config_class.model_validate(raw or {})
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic ValidationError into one readable line per problem."""
    problems = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(config)"
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{path}'")
        elif err["type"] == "missing":
            problems.append(f"missing required key '{path}'")
        else:
            problems.append(f"{path}: {err['msg']}")
    return "; ".join(problems)
