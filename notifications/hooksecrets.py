"""Webhook signing secrets at rest: sealed like source secrets, never shown.

``Webhook.secret`` is sealed before every save with the source-secret mechanism
(:mod:`harvesters.vault`, Fernet keys from ``MESH_SECRETS_KEYS``: the first encrypts,
all decrypt): the column holds ``${enc:<Fernet token>}``, so the database and its dumps
only see ciphertext. Without ``MESH_SECRETS_KEYS`` the value stays as typed (as source
secrets do); ``manage.py seal_webhook_secrets`` seals such rows once a key is set, and
re-encrypts sealed ones with the first key (rotation).

Outputs (API, pages, admin) show :data:`MASK` for a set secret and ``""`` for none. An
edit that sends the mask back keeps the stored secret. Input is always the literal
secret: placeholders (``${env:...}``, ``${file:...}``, ``${enc:...}``) are refused so a
webhook owner cannot make the server sign with a value read from its environment.
"""

from harvesters import vault
from harvesters.secrets import MASK

__all__ = ["MASK", "HookSecretError", "seal", "reveal", "masked", "merge", "check_input"]

MAX_LENGTH = 200


class HookSecretError(ValueError):
    """A webhook secret that cannot be accepted or decrypted (message names why)."""


def check_input(value: str) -> str:
    """``value`` if it may be stored as a webhook secret (the mask included); raises
    :class:`HookSecretError` for placeholders and values over 200 characters."""
    value = value or ""
    if value == MASK:
        return value
    if vault.PLACEHOLDER.search(value):
        raise HookSecretError(
            "placeholders such as ${env:NAME} are not accepted; send the secret itself"
        )
    if len(value) > MAX_LENGTH:
        raise HookSecretError(f"at most {MAX_LENGTH} characters")
    return value


def seal(value: str) -> str:
    """``value`` encrypted as ``${enc:...}`` when ``MESH_SECRETS_KEYS`` is set (empty and
    already sealed values unchanged; unchanged without a key)."""
    return vault.seal(value or "", "secret")


def reveal(value: str) -> str:
    """The clear secret for signing; raises :class:`HookSecretError` when it cannot be
    decrypted (no key or the key was rotated away; the message never holds a value)."""
    try:
        return vault.resolve(value or "", "webhook.secret")
    except vault.SecretError as exc:
        raise HookSecretError(str(exc)) from None


def rotate(value: str) -> str:
    """A sealed value re-encrypted with the first key; a clear one sealed."""
    return vault.rotate(value) if vault.PLACEHOLDER.search(value or "") else seal(value)


def masked(value: str) -> str:
    """:data:`MASK` when a secret is set, else ``""``."""
    return MASK if value else ""


def merge(new: str | None, stored: str) -> str:
    """The secret to store after an edit: ``stored`` when ``new`` is the mask or absent
    (``None``), else ``new``. Raises :class:`HookSecretError` when the mask is sent but
    nothing is stored."""
    if new is None:
        return stored
    if new == MASK:
        if not stored:
            raise HookSecretError("the mask was sent but no secret is stored; send the secret")
        return stored
    return new
