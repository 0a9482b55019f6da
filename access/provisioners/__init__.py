"""Provisioning backends: execute a grant or its revocation where the data lives.

Chosen by name from ``MESH_ACCESS_PROVISIONERS`` (``{name: {"BACKEND": dotted path,
**options}}``, loaded with :func:`catalog.backends.load_backend`): ``postgres``
(:mod:`access.provisioners.postgres`), ``webhook`` (:mod:`access.provisioners.webhook`)
and ``manual`` (:mod:`access.provisioners.manual`).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from catalog.backends import load_backend


class ProvisioningError(Exception):
    """The grant or revoke could not be executed; the message is shown to approvers
    (the database's or server's own message, never a secret)."""


@dataclass
class Outcome:
    """What a provisioner did: ``done`` (False: waits for someone, e.g. manual) and
    ``statements`` (what was executed, e.g. SQL, for the audit trail)."""

    done: bool = True
    statements: list[str] = field(default_factory=list)


class Provisioner:
    """Interface: :meth:`grant` and :meth:`revoke` take an
    :class:`access.models.AccessRequest` and return an :class:`Outcome` or raise
    :class:`ProvisioningError`. Both must be idempotent (safe to run twice)."""

    name = "base"

    def grant(self, request) -> Outcome:  # pragma: no cover - interface
        """Give ``request.role`` the level's privileges on the port's objects."""
        raise NotImplementedError

    def revoke(self, request) -> Outcome:  # pragma: no cover - interface
        """Take them back."""
        raise NotImplementedError


def provisioner_name(port) -> str:
    """The provisioner of ``port``: its policy's, else ``MESH_ACCESS_DEFAULT_PROVISIONER``."""
    try:
        chosen = port.access_policy.provisioner
    except ObjectDoesNotExist:  # no policy row
        chosen = ""
    return chosen or settings.MESH_ACCESS_DEFAULT_PROVISIONER


def get_provisioner(name: str) -> Provisioner:
    """A new instance of provisioner ``name`` (ImproperlyConfigured when unknown)."""
    return load_backend("MESH_ACCESS_PROVISIONERS", name)
