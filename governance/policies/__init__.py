"""Policy checks: the registry and the base class.

A policy is one module defining a :class:`Policy` subclass; the registry is the list of
dotted paths ``settings.MESH_GOVERNANCE_POLICIES`` (a company appends its own). Each
policy judges one data product at a time (:meth:`Policy.check` → :class:`Outcome`);
scores and scorecards are computed in :mod:`governance.scorecards`.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULT_POLICIES = [
    "governance.policies.owner_description.OwnerAndDescription",
    "governance.policies.ports_contracts.PortsHaveContractsAndSLOs",
    "governance.policies.slos_met.SLOsMet",
    "governance.policies.documented_columns.DocumentedColumns",
    "governance.policies.personal_classified.PersonalDataClassified",
    "governance.policies.personal_access.PersonalDataAccessControlled",
    "governance.policies.schema_drift.NoSchemaDrift",
]


@dataclass
class Outcome:
    """A policy's verdict on a product: ``passed`` (None: not applicable, e.g. no
    ports), ``detail`` (what was found) and ``fix`` (what to do, empty when passed)."""

    passed: bool | None
    detail: str
    fix: str = ""


class Policy:
    """Base class: set ``name`` (slug, used in URLs and ``?failing=``), ``label`` and
    ``description``; implement :meth:`check`."""

    name = ""
    label = ""
    description = ""

    def check(self, product) -> Outcome:
        """Judge ``product`` (a ``products.DataProduct`` with ports prefetched)."""
        raise NotImplementedError


@cache
def policies() -> tuple[Policy, ...]:
    """Instances of the configured policies, in order; ImproperlyConfigured names a bad
    dotted path or a duplicate name."""
    found, names = [], set()
    for path in getattr(settings, "MESH_GOVERNANCE_POLICIES", DEFAULT_POLICIES):
        try:
            policy = import_string(path)()
        except ImportError as exc:
            raise ImproperlyConfigured(f"MESH_GOVERNANCE_POLICIES entry {path!r}: {exc}") from None
        if policy.name in names:
            raise ImproperlyConfigured(f"two policies are named {policy.name!r}")
        names.add(policy.name)
        found.append(policy)
    return tuple(found)


def policy_named(name: str) -> Policy | None:
    """The configured policy called ``name``, or None."""
    return next((p for p in policies() if p.name == name), None)


def port_assets(product) -> list:
    """The harvested assets of the product's output ports (no duplicates)."""
    seen, out = set(), []
    for port in product.output_ports.all():
        if port.asset_id and port.asset_id not in seen:
            seen.add(port.asset_id)
            out.append(port.asset)
    return out
