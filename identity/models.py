"""Identity models: global role assignments and hashed, scoped API tokens.

Team roles (owner, steward, member...) live on ``products.TeamMembership``; the roles
here are the ones that are not about one team: ``steward`` (approver everywhere),
``auditor`` (reads the security and audit trails) and ``admin`` (same as staff).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "mcat_"
SCOPES = ("read", "write", "ingest", "admin")
TOKEN_KINDS = (("personal", "Personal"), ("service", "Service account"))


class GlobalRole(models.TextChoices):
    """Roles granted to a user across the whole catalog."""

    STEWARD = "steward", "Steward / approver"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"


class RoleAssignment(models.Model):
    """``user`` holds the global ``role``; one row per (user, role)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="global_roles"
    )
    role = models.CharField(max_length=16, choices=GlobalRole.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_unique")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role}"


def digest(key: str) -> str:
    """SHA-256 hex digest of a token ``key`` (keys are 256-bit random: no salt needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    """Token lookups."""

    def active(self):
        """Tokens neither revoked nor expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def verify(self, key: str):
        """The active token whose key is ``key`` (with its user), or None."""
        return self.active().select_related("user").filter(digest=digest(key)).first()


class ApiToken(models.Model):
    """An API token: only its SHA-256 digest is stored; the key is shown once.

    ``kind`` is ``personal`` (acts as its user) or ``service`` (its user is a service
    account, a user with no password). ``scopes`` is a list of :data:`SCOPES`:
    ``read`` (GET), ``write`` (changes; implies read), ``ingest`` (OpenLineage events
    and harvest pushes), ``admin`` (staff powers of its user; implies all). ``expires_at``
    None means never (only migrated DRF tokens have that)."""

    KINDS = TOKEN_KINDS

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    kind = models.CharField(max_length=16, choices=KINDS, default="personal")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="first characters, to recognise it")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str, scopes, expires_at, kind="personal", created_by=None):
        """Create a token; returns ``(token, key)``. ``key`` is never stored: show it once.

        Raises ValueError naming an unknown scope or an empty scope list."""
        scopes = sorted(set(scopes))
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {scopes}")
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            kind=kind,
            name=name,
            prefix=key[: len(TOKEN_PREFIX) + 6],
            digest=digest(key),
            scopes=scopes,
            expires_at=expires_at,
            created_by=created_by,
        )
        return token, key

    @property
    def active(self) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

    def allows(self, scope: str) -> bool:
        """Whether this token's scopes cover ``scope`` (admin covers all, write covers
        read)."""
        have = set(self.scopes)
        return "admin" in have or scope in have or (scope == "read" and "write" in have)
