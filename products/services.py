"""One write rule per kind of object: check who may, snapshot, save, record history.

Every write to a product, a domain or a team goes through an edit object here, whether
it comes from a web form, the API, the admin or ``sync_products``::

    with ProductEdit(product, request.user, "delete slo"):
        slo.delete()

An edit checks the permission when it is created (:class:`PermissionDenied`, a 403 in
views and the API, unless ``user`` is None: the system or the command line, whose
descriptors speak for the domain), snapshots the object, runs the block in one
transaction and records the difference in the object's history
(:class:`products.models.EditRecord`, see :mod:`products.history`) when the block ends
without an exception. An edit that changes nothing records nothing, except a create
or a delete. Future write rules (access requests, curation) follow the same shape.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from products.history import record_edit, snapshot_domain, snapshot_product, snapshot_team
from products.models import DataProduct, EditRecord
from products.permissions import can_edit, is_admin

PRODUCT_DENIED = "Only members of the owning team may edit this product."
DOMAIN_DENIED = "Only members of the owning team may edit this domain."
TEAM_DENIED = "Only staff may edit teams."


class _Edit:
    """Base of the edits: subclasses set :meth:`allowed`, :meth:`snapshot` and
    :meth:`record`. ``before``/``after`` are ``{field: JSON value}`` dicts; callers may add
    lines to them (``edit.before["input port x"] = ...``) before the block ends."""

    denied = "You may not edit this."

    def __init__(self, obj, user, action: str, *, summary: str = "", check: bool = True):
        self.obj, self.user, self.action, self.summary = obj, user, action, summary
        if check and user is not None and obj is not None and not self.allowed(user, obj):
            raise PermissionDenied(self.denied)
        self.before: dict = self.snapshot(obj)
        self.after: dict = {}
        self.record_: EditRecord | None = None
        self._atomic = None

    def allowed(self, user, obj) -> bool:  # pragma: no cover - overridden
        """Whether ``user`` may change ``obj``."""
        raise NotImplementedError

    def snapshot(self, obj) -> dict:  # pragma: no cover - overridden
        """The editable state of ``obj`` as ``{field: JSON value}`` (``{}`` for None)."""
        raise NotImplementedError

    def record(self) -> EditRecord | None:  # pragma: no cover - overridden
        """Store the history row of this edit (None when nothing changed)."""
        raise NotImplementedError

    def finish(self) -> EditRecord | None:
        """Snapshot the object now and record the edit, in the caller's transaction: for
        flows that save across several calls (the admin's ``save_model`` and
        ``save_related``), where a ``with`` block does not fit."""
        self.after = {**self.snapshot(self.obj), **self.after}
        self.record_ = self.record()
        return self.record_

    def __enter__(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.finish()
            except BaseException as error:  # roll the block back with the history row
                self._atomic.__exit__(type(error), error, error.__traceback__)
                raise
        self._atomic.__exit__(exc_type, exc, tb)
        return False


class ProductEdit(_Edit):
    """An edit of a data product (its ports, members and SLOs included). ``product`` may
    be None for a creation: set :attr:`obj` to the saved product inside the block."""

    denied = PRODUCT_DENIED

    def allowed(self, user, obj) -> bool:
        """Owning-team members and staff (:func:`products.permissions.can_edit`)."""
        return can_edit(user, obj)

    def snapshot(self, obj) -> dict:
        """:func:`products.history.snapshot_product`."""
        return snapshot_product(obj)

    def record(self) -> EditRecord | None:
        """A product history row; ``before`` is None for a creation."""
        return record_edit(self.obj, self.user, self.action, self.before, self.after, self.summary)

    @property
    def product(self) -> DataProduct | None:
        """The product edited (or created)."""
        return self.obj


class DomainEdit(_Edit):
    """An edit of a domain (set :attr:`obj` to the saved domain on a creation)."""

    denied = DOMAIN_DENIED

    def allowed(self, user, obj) -> bool:
        """Owning-team members and staff."""
        return can_edit(user, obj)

    def snapshot(self, obj) -> dict:
        """:func:`products.history.snapshot_domain`."""
        return snapshot_domain(obj)

    def record(self) -> EditRecord | None:
        """A domain history row."""
        return record_edit(
            None, self.user, self.action, self.before, self.after, self.summary, domain=self.obj
        )


class TeamEdit(_Edit):
    """An edit of a team and its members (staff only)."""

    denied = TEAM_DENIED

    def allowed(self, user, obj) -> bool:
        """Staff and superusers."""
        return is_admin(user)

    def snapshot(self, obj) -> dict:
        """:func:`products.history.snapshot_team`."""
        return snapshot_team(obj)

    def record(self) -> EditRecord | None:
        """A team history row."""
        return record_edit(
            None, self.user, self.action, self.before, self.after, self.summary, team=self.obj
        )


__all__ = ["DomainEdit", "ProductEdit", "TeamEdit"]
