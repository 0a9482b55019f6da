"""Turn Django's authentication signals into :data:`identity.signals.security_event`."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from identity.models import RoleAssignment
from identity.signals import send_security_event


@receiver(user_logged_in, dispatch_uid="identity-login")
def on_login(sender, request, user, **kwargs) -> None:
    """A sign-in (password or OIDC): ``login`` with the backend used."""
    backend = getattr(user, "backend", "") or ""
    send_security_event(
        sender, "login", actor=user, subject=user.get_username(), detail={"backend": backend}
    )


@receiver(user_logged_out, dispatch_uid="identity-logout")
def on_logout(sender, request, user, **kwargs) -> None:
    """A sign-out."""
    if user is not None:
        send_security_event(sender, "logout", actor=user, subject=user.get_username())


@receiver(user_login_failed, dispatch_uid="identity-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A failed sign-in: the username tried (never the password)."""
    username = str((credentials or {}).get("username", ""))[:150]
    send_security_event(sender, "login_failed", subject=username, detail={"username": username})


@receiver(post_save, sender=RoleAssignment, dispatch_uid="identity-role-granted")
def on_role_granted(sender, instance, created, **kwargs) -> None:
    """A global role granted (admin page, sign-on groups or code): ``role_changed``."""
    if kwargs.get("raw"):  # loaddata: the fixture holds the derived rows too
        return
    if created:
        send_security_event(
            sender,
            "role_changed",
            subject=instance.user.get_username(),
            detail={"role": instance.role, "granted": True},
        )


@receiver(post_delete, sender=RoleAssignment, dispatch_uid="identity-role-revoked")
def on_role_revoked(sender, instance, **kwargs) -> None:
    """A global role taken away: ``role_changed``."""
    send_security_event(
        sender,
        "role_changed",
        subject=instance.user.get_username(),
        detail={"role": instance.role, "granted": False},
    )
