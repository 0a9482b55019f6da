"""Strict reading of hand-parsed query parameters (the ones no filterset covers).

The documented schema gives each parameter one value of one type: a parameter given
twice (``?limit=1&limit=2``, what a client sends for an array or an exploded object),
an empty value where a number or a choice is documented (``?limit=``), a number out of
range or a value outside the enum is a 400 ``{"<name>": ["<reason>"]}``, never
silently replaced by a default or by the last value.
"""

from rest_framework.exceptions import ValidationError


def single(params, name: str) -> str | None:
    """The one value of query parameter ``name`` (``None`` when absent).

    Raises ValidationError (400) when it is given more than once."""
    values = params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationError({name: ["give this parameter once"]})
    return values[0]


def int_param(
    params, name: str, default: int | None, minimum: int = 1, maximum: int | None = None
) -> int | None:
    """Integer query parameter ``name`` within ``minimum``..``maximum`` (``default`` when
    absent). Raises ValidationError (400) when repeated, empty, not a whole number or out
    of range."""
    raw = single(params, name)
    if raw is None:
        return default
    bound = f"from {minimum} to {maximum}" if maximum is not None else f"≥ {minimum}"
    number = int(raw) if raw.lstrip("-").isdigit() and raw.isascii() else None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        raise ValidationError({name: [f"must be a whole number {bound}, got {raw[:20]!r}"]})
    return number


def choice_param(params, name: str, choices, default: str) -> str:
    """Query parameter ``name``, one of ``choices`` (``default`` when absent). Raises
    ValidationError (400) when repeated, empty or not one of the choices."""
    raw = single(params, name)
    if raw is None:
        return default
    if raw not in choices:
        raise ValidationError({name: [f"must be one of {', '.join(choices)}"]})
    return raw


def bool_param(params, name: str, default: bool = False) -> bool:
    """Boolean query parameter ``name``: ``true`` or ``false`` (OpenAPI's text form of a
    boolean; ``default`` when absent). Raises ValidationError (400) when repeated, empty
    or anything else (``1``, ``yes``, ``null``)."""
    raw = single(params, name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise ValidationError({name: [f"must be true or false, got {raw[:20]!r}"]})
    return raw == "true"
