"""Receivers that turn other apps' events into audit entries.

* :func:`on_security_event`: the receiver for identity's ``security_event`` signal
  (token created or revoked, role changed, source credentials changed...); connected
  where that signal exists (``identity.signals.security_event``), callable directly.
* a source whose ``config`` (URLs, credentials) changes (identity's security event,
  sent by harvesters) becomes ``source.credentials_changed`` naming the changed keys,
  never their values;
* product history rows (:class:`products.models.EditRecord`, written by every product
  and team edit) that change a product's owning team or members, or a team's members,
  become ``product.ownership_changed`` and ``team.membership_changed`` entries.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.services import record
from products.models import EditRecord

OWNERSHIP_FIELDS = ("owner_team", "members")


def on_security_event(sender, action, actor=None, subject=None, detail=None, **kw) -> None:
    """Record a security event: ``action`` (e.g. ``token.created``), ``actor`` (user or
    None), ``subject`` (model instance, ``(type, id, label)`` or label), ``detail``
    (JSON; never a secret). ``before``/``after`` may come as keyword arguments.

    A change of an existing source's connection settings (identity's
    ``source_credential_changed``, sent by :mod:`harvesters.security`) is recorded as
    ``source.credentials_changed`` naming the changed keys (values may be secrets and are
    never recorded); the creation of a source is not audited here."""
    if action == "source_credential_changed":
        detail = detail or {}
        if detail.get("created"):
            return
        subject = ("catalog.source", detail.get("source"), subject)
        record(action="source.credentials_changed", actor=actor, subject=subject,
               detail={"changed_keys": detail.get("keys", [])})  # fmt: skip
        return
    record(action, actor, subject, before=kw.get("before"), after=kw.get("after"), detail=detail)


@receiver(post_save, sender=EditRecord, dispatch_uid="audit-edit-record")
def on_edit_record(sender, instance: EditRecord, created=False, **kwargs) -> None:
    """A new product/team history row that changes ownership or membership is audited
    (same transaction as the edit)."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    if not created or not instance.changes:
        return
    changes = instance.changes
    if instance.team_id and "members" in changes:
        action, subject, keys = "team.membership_changed", instance.team, ("members",)
    elif instance.product_id and any(k in changes for k in OWNERSHIP_FIELDS):
        action, subject, keys = "product.ownership_changed", instance.product, OWNERSHIP_FIELDS
    else:
        return
    record(
        action,
        instance.user,
        subject,
        before={k: changes[k][0] for k in keys if k in changes},
        after={k: changes[k][1] for k in keys if k in changes},
        detail={"edit": instance.action, "history_id": instance.pk},
    )


def on_assets_restored(sender, run=None, actor=None, urns=(), **kwargs) -> None:
    """Record an undo of a harvest run's soft deletions (``harvest.assets_restored``,
    subject the run, detail the restored URNs: harvesters' ``assets_restored``)."""
    label = f"{run.source.name} run {run.pk}"
    record(
        "harvest.assets_restored",
        actor,
        ("catalog.harvestrun", run.pk, label),
        detail={"source": run.source.name, "urns": list(urns)},
    )
