"""Strict JSON types for the API's string fields.

DRF's ``CharField`` turns a JSON number into a string (``"name": 12`` → ``"12"``), and
``SlugRelatedField`` looks a number up as a slug (``"parent": 0`` finds the domain ``0``);
the documented schema says string, so a number (or a boolean, list, object) is refused
with 400 ``{"<field>": ["Not a valid string."]}`` / ``["Invalid value."]``.
Likewise ``BooleanField`` takes ``0``, ``1``, ``"yes"``, ``"off"``... for a boolean; the
schema says boolean, and the API parses JSON bodies only (``config/security.py``), so in
a body anything but ``true``/``false`` is a 400 ``{"<field>": ["Must be a valid
boolean."]}`` (serializers reading query parameters, which are text, keep DRF's rules).
A string's ``max_length`` (the schema's ``maxLength``) counts the characters sent, before
DRF trims surrounding whitespace: 201 characters are refused with 400 ``{"<field>":
["Ensure this field has no more than 200 characters."]}`` even when one is a leading tab.
:func:`install` patches ``CharField`` (and its subclasses: slugs, emails, URLs, choices
are separate), ``SlugRelatedField`` and ``BooleanField`` once, at app start.
"""

from django.http import QueryDict
from rest_framework import fields, relations

_original = fields.CharField.to_internal_value
_original_slug = relations.SlugRelatedField.to_internal_value
_original_bool = fields.BooleanField.to_internal_value


def _strict_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    if self.max_length is not None and len(data) > self.max_length:
        self.fail("max_length", max_length=self.max_length)
    return _original(self, data)


def _strict_slug_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    return _original_slug(self, data)


def _strict_bool_to_internal_value(self, data):
    from_query = isinstance(getattr(self.root, "initial_data", None), QueryDict)
    if not isinstance(data, bool) and not from_query:
        self.fail("invalid", input=data)
    return _original_bool(self, data)


def install() -> None:
    """Make every API ``CharField`` and ``SlugRelatedField`` accept JSON strings only,
    and every ``BooleanField`` JSON booleans only (idempotent)."""
    fields.CharField.to_internal_value = _strict_to_internal_value
    relations.SlugRelatedField.to_internal_value = _strict_slug_to_internal_value
    fields.BooleanField.to_internal_value = _strict_bool_to_internal_value
