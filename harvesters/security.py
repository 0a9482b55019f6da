"""Source secrets are sealed (encrypted, :mod:`harvesters.vault`) before every save, and
security events of sources are sent: a change of a source's connection settings (its ``config``:
URLs, users, passwords, key files) sends ``identity.signals.security_event``
``source_credential_changed`` naming the source and the changed keys, never their values."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from catalog.models import Source
from harvesters.vault import seal
from identity.signals import send_security_event


@receiver(pre_save, sender=Source, dispatch_uid="harvesters-source-seal")
def seal_secrets(sender, instance, **kwargs) -> None:
    """Encrypt clear secrets of the config before it is stored (``MESH_SECRETS_KEYS``)."""
    instance.config = seal(instance.config)


@receiver(pre_save, sender=Source, dispatch_uid="harvesters-source-config-before")
def remember_config(sender, instance, **kwargs) -> None:
    """Keep the stored config to compare after the save."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    stored = Source.objects.filter(pk=instance.pk).values_list("config", flat=True)
    instance._stored_config = stored.first() if instance.pk else None


@receiver(post_save, sender=Source, dispatch_uid="harvesters-source-config-saved")
def config_saved(sender, instance, created, **kwargs) -> None:
    """Send ``source_credential_changed`` when a source is created or its config changes:
    ``detail = {"source": id, "created": bool, "keys": [changed top-level keys]}``."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    before = getattr(instance, "_stored_config", None) or {}
    after = instance.config or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        keys = ["config"]
    else:
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if created or keys:
        send_security_event(
            sender,
            "source_credential_changed",
            subject=instance.name,
            detail={"source": instance.pk, "created": created, "keys": keys},
        )
