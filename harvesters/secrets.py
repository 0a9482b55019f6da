"""Secrets in source configs: masked in every output, kept when an edit sends the mask.

A secret is the password of a URL (``postgresql+psycopg://svc:S3cretPW@db/x``, also a
``password=`` query parameter) or the value of a key that names a secret (``password``,
``secret``, ``token``, ``key``, ``access-key-id``, ``credential``...) anywhere in a
config (e.g. ``storage_options``, ``iceberg_catalog``). Outputs (API, pages, admin, run
reports, log lines) show :data:`MASK` instead.

An edit may send the mask back: :func:`merge_masked` then keeps the stored secret, but
only if everything it protects is unchanged (a URL's driver, user, host, port and
database; the other keys of the same object), so a stored credential can never be
re-pointed at another host.
"""

import logging
import re
from typing import Any

MASK = "********"
_SECRET_KEY = re.compile(
    r"(pass(word|wd)?$|secret|token|credential|private|(^|[._-])key(-id)?$|^key$|"
    r"access[._-]?key|sas[._-]?token|signature|api[._-]?key)",
    re.IGNORECASE,
)
# scheme://user:password@host  (the password is group 2)
_URL_PASSWORD = re.compile(r"([a-zA-Z][\w+.-]*://[^:/@\s]*:)([^@\s/]+)(@)")
_QUERY_PASSWORD = re.compile(r"([?&](?:password|pwd|passwd|token|secret)=)([^&\s]+)", re.I)


def is_secret_key(key: str) -> bool:
    """Whether a config key names a secret (``password``, ``s3.secret-access-key``...)."""
    return bool(_SECRET_KEY.search(str(key)))


def mask_text(text: str) -> str:
    """``text`` with URL passwords and ``password=`` query values replaced by the mask."""
    text = _URL_PASSWORD.sub(
        lambda m: m.group(0) if set(m.group(2)) == {"*"} else f"{m.group(1)}{MASK}{m.group(3)}",
        text,
    )
    return _QUERY_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}", text)


def mask_config(config: Any) -> Any:
    """A copy of ``config`` (dict/list/str) with every secret replaced by :data:`MASK`."""
    if isinstance(config, dict):
        return {
            k: (MASK if is_secret_key(k) and v not in (None, "") else mask_config(v))
            for k, v in config.items()
        }
    if isinstance(config, list):
        return [mask_config(v) for v in config]
    if isinstance(config, str):
        return mask_text(config)
    return config


def secret_values(config: Any) -> set[str]:
    """Every secret string in ``config`` (at least 4 characters), for :func:`redact`."""
    found: set[str] = set()
    if isinstance(config, dict):
        for k, v in config.items():
            if is_secret_key(k) and isinstance(v, str | int) and v not in ("", None):
                found.add(str(v))
            else:
                found |= secret_values(v)
    elif isinstance(config, list):
        for v in config:
            found |= secret_values(v)
    elif isinstance(config, str):
        found |= {m.group(2) for m in _URL_PASSWORD.finditer(config)}
        found |= {m.group(2) for m in _QUERY_PASSWORD.finditer(config)}
    return {s for s in found if len(s) >= 4 and s != MASK}


def redact(text: str, secrets: set[str] = frozenset()) -> str:
    """``text`` with each of ``secrets`` and any URL password replaced by the mask."""
    text = str(text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask_text(text)


def redact_report(items: list[dict], secrets: set[str]) -> list[dict]:
    """Run report entries (``{"item", "message"}``) with secrets redacted."""
    return [
        {k: redact(v, secrets) if isinstance(v, str) else v for k, v in i.items()} for i in items
    ]


class SecretError(ValueError):
    """A masked secret sent back where the stored one may not be kept (message names
    the key and what to do)."""


def _has_mask(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_mask(v) for v in value)
    return isinstance(value, str) and MASK in value


def merge_masked(new: Any, old: Any, path: str = "config") -> Any:
    """``new`` with every mask replaced by the stored secret from ``old``.

    Raises :class:`SecretError` naming the key when there is no stored secret to keep,
    or when what the secret protects changed (re-enter the secret to change it).
    """
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        kept_mask = any(is_secret_key(k) and v == MASK for k, v in new.items())
        if kept_mask:
            for k, v in new.items():
                if not is_secret_key(k) and not _has_mask(v) and old.get(k) != v:
                    raise SecretError(
                        f"{path}.{k}: changed while a secret of the same object is masked; "
                        "enter the secret again to change it"
                    )
        merged = {}
        for k, v in new.items():
            if is_secret_key(k) and v == MASK:
                if k not in old or old[k] in (None, ""):
                    raise SecretError(f"{path}.{k}: '{MASK}' is the mask, not a value")
                merged[k] = old[k]
            else:
                merged[k] = merge_masked(v, old.get(k), f"{path}.{k}")
        return merged
    if isinstance(new, list):
        old = old if isinstance(old, list) else []
        return [
            merge_masked(v, old[i] if i < len(old) else None, f"{path}[{i}]")
            for i, v in enumerate(new)
        ]
    if isinstance(new, str) and MASK in new:
        if not isinstance(old, str) or mask_text(old) != new:
            raise SecretError(
                f"{path}: the password is masked but the rest of the value changed; "
                "enter the password again to change the URL"
            )
        return old
    return new


class RedactingFilter(logging.Filter):
    """A logging filter that masks URL passwords in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
