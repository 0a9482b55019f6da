"""Source secrets at rest: encrypted with a key from the environment, or referenced.

A source config (``catalog.Source.config``, a JSON object) may hold secrets in three ways,
all written as placeholders inside string values and resolved only when a harvest runs
(:func:`resolve`, called by ``harvesters.runner``):

- ``${env:NAME}``: the value of environment variable ``NAME`` of the harvesting process;
- ``${file:/run/secrets/pg}``: the content of that file (trailing newline stripped);
- ``${enc:<Fernet token>}``: a value encrypted with ``MESH_SECRETS_KEYS``.

When ``MESH_SECRETS_KEYS`` is set (comma-separated Fernet keys, first one encrypts, all
decrypt), :func:`seal` runs before every save of a source: the password of every URL
(``scheme://user:password@host``) and the value of every key that names a secret
(``password``, ``secret``, ``token``, ``api_key``, ``private_key``, ``credentials``...)
is replaced by an ``${enc:...}`` placeholder, so the database, its dumps, the API and the
pages only ever see ciphertext. Key rotation: put the new key first
(``MESH_SECRETS_KEYS=new,old``), run ``manage.py rotate_source_secrets`` (re-encrypts
every source with the new key), then drop the old key.

Encryption: Fernet (AES-128-CBC + HMAC-SHA256, https://github.com/fernet/spec) from the
``cryptography`` package. Errors name the source key and the reason, never a value.
"""

import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PLACEHOLDER = re.compile(r"\$\{(env|file|enc):([^}]*)\}")
SECRET_KEY_NAMES = re.compile(
    r"(pass(word|wd)?|secret|token|api_?key|private_?key|credentials?|auth)$", re.I
)
URL_PASSWORD = re.compile(r"^(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]+:)(?P<pw>[^@\s]*)(?P<tail>@.*)$")


class SecretError(ValueError):
    """A placeholder cannot be resolved (the message names it and why; never a value)."""


def _fernet() -> MultiFernet | None:
    keys = [k.strip() for k in getattr(settings, "MESH_SECRETS_KEYS", []) if k.strip()]
    if not keys:
        return None
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise SecretError(
            "MESH_SECRETS_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from exc


def encrypt(value: str) -> str:
    """``${enc:<token>}`` for ``value`` (SecretError without ``MESH_SECRETS_KEYS``)."""
    fernet = _fernet()
    if fernet is None:
        raise SecretError("MESH_SECRETS_KEYS is not set: cannot encrypt")
    return "${enc:" + fernet.encrypt(value.encode()).decode() + "}"


def _seal_string(key: str, value: str) -> str:
    if not value or PLACEHOLDER.fullmatch(value):
        return value
    if SECRET_KEY_NAMES.search(key):
        return encrypt(value)
    match = URL_PASSWORD.match(value)
    if match and match["pw"] and not PLACEHOLDER.fullmatch(match["pw"]):
        return match["head"] + encrypt(match["pw"]) + match["tail"]
    return value


def seal(config, key: str = ""):
    """``config`` with clear secrets encrypted (unchanged when no key is configured).

    Walks dicts and lists; strings already holding a placeholder stay as they are."""
    if _fernet() is None:
        return config
    if isinstance(config, dict):
        return {k: seal(v, str(k)) for k, v in config.items()}
    if isinstance(config, list):
        return [seal(v, key) for v in config]
    if isinstance(config, str):
        return _seal_string(key, config)
    return config


def _replace(match: re.Match, where: str) -> str:
    kind, ref = match.group(1), match.group(2)
    if kind == "env":
        if ref not in os.environ:
            raise SecretError(f"{where}: environment variable {ref} is not set")
        return os.environ[ref]
    if kind == "file":
        try:
            return Path(ref).read_text().rstrip("\n")
        except OSError as exc:
            raise SecretError(f"{where}: cannot read secret file {ref}: {exc.strerror}") from None
    fernet = _fernet()
    if fernet is None:
        raise SecretError(f"{where}: encrypted, but MESH_SECRETS_KEYS is not set")
    try:
        return fernet.decrypt(ref.encode()).decode()
    except InvalidToken:
        raise SecretError(
            f"{where}: cannot decrypt with MESH_SECRETS_KEYS (key rotated away?)"
        ) from None


def resolve(config, where: str = "config"):
    """``config`` with every placeholder replaced by its secret, for the harvester only.

    Raises SecretError naming the config key (``config.url``) and the reason."""
    if isinstance(config, dict):
        return {k: resolve(v, f"{where}.{k}") for k, v in config.items()}
    if isinstance(config, list):
        return [resolve(v, f"{where}[{i}]") for i, v in enumerate(config)]
    if isinstance(config, str) and "${" in config:
        return PLACEHOLDER.sub(lambda m: _replace(m, where), config)
    return config


def rotate(config):
    """``config`` with every ``${enc:...}`` re-encrypted with the first key."""
    fernet = _fernet()
    if fernet is None:
        return config
    if isinstance(config, dict):
        return {k: rotate(v) for k, v in config.items()}
    if isinstance(config, list):
        return [rotate(v) for v in config]
    if isinstance(config, str) and "${enc:" in config:
        return PLACEHOLDER.sub(
            lambda m: (
                "${enc:" + fernet.rotate(m.group(2).encode()).decode() + "}"
                if m.group(1) == "enc"
                else m.group(0)
            ),
            config,
        )
    return config
