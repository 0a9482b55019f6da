"""Receivers that turn other apps' events into audit entries.

* :func:`on_security_event`: the receiver for identity's ``security_event`` signal
  (token created or revoked, role changed, source credentials changed...); connected
  where that signal exists (``identity.signals.security_event``), callable directly.
* a source whose ``config`` (URLs, credentials) changes becomes
  ``source.credentials_changed`` naming the changed keys, never their values;
* product history rows (:class:`products.models.EditRecord`, written by every product
  and team edit) that change a product's owning team or members, or a team's members,
  become ``product.ownership_changed`` and ``team.membership_changed`` entries.
"""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from audit.services import record
from catalog.models import Source
from products.models import EditRecord

OWNERSHIP_FIELDS = ("owner_team", "members")


def on_security_event(sender, action, actor=None, subject=None, detail=None, **kw) -> None:
    """Record a security event: ``action`` (e.g. ``token.created``), ``actor`` (user or
    None), ``subject`` (model instance, ``(type, id, label)`` or label), ``detail``
    (JSON; never a secret). ``before``/``after`` may come as keyword arguments.

    ``source_credential_changed`` is skipped: :func:`on_source_saved` records the same
    change as ``source.credentials_changed`` (with the keys before and after)."""
    if action == "source_credential_changed":
        return
    record(action, actor, subject, before=kw.get("before"), after=kw.get("after"), detail=detail)


@receiver(post_save, sender=EditRecord, dispatch_uid="audit-edit-record")
def on_edit_record(sender, instance: EditRecord, created=False, **kwargs) -> None:
    """A new product/team history row that changes ownership or membership is audited
    (same transaction as the edit)."""
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


@receiver(pre_save, sender=Source, dispatch_uid="audit-source-before-save")
def _remember_source_config(sender, instance: Source, **kwargs) -> None:
    """Keep the stored config to compare after the save."""
    instance._audit_previous_config = (
        sender.objects.filter(pk=instance.pk).values_list("config", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Source, dispatch_uid="audit-source-saved")
def on_source_saved(sender, instance: Source, created=False, **kwargs) -> None:
    """A changed source config is audited as ``source.credentials_changed`` with the
    names of the changed keys (values may be secrets and are never recorded)."""
    before = getattr(instance, "_audit_previous_config", None)
    if created or before is None:
        return
    after = instance.config or {}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if changed:
        record("source.credentials_changed", None, instance, detail={"changed_keys": changed})
