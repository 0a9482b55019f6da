"""Strict JSON types for the API's string fields.

DRF's ``CharField`` turns a JSON number into a string (``"name": 12`` → ``"12"``), and
``SlugRelatedField`` looks a number up as a slug (``"parent": 0`` finds the domain ``0``);
the documented schema says string, so a number (or a boolean, list, object) is refused
with 400 ``{"<field>": ["Not a valid string."]}`` / ``["Invalid value."]``.
:func:`install` patches ``CharField`` (and its subclasses: slugs, emails, URLs, choices
are separate) and ``SlugRelatedField`` once, at app start.
"""

from rest_framework import fields, relations

_original = fields.CharField.to_internal_value
_original_slug = relations.SlugRelatedField.to_internal_value


def _strict_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    return _original(self, data)


def _strict_slug_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    return _original_slug(self, data)


def install() -> None:
    """Make every API ``CharField`` and ``SlugRelatedField`` accept JSON strings only
    (idempotent)."""
    fields.CharField.to_internal_value = _strict_to_internal_value
    relations.SlugRelatedField.to_internal_value = _strict_slug_to_internal_value
