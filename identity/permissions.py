"""The one permission module: read policy, roles and object rules, for pages, API and admin.

Roles (``ROLES``): ``viewer`` (anyone signed in: reads), ``owner`` (member of a team
with an editing team role, ``MESH_TEAM_EDIT_ROLES``: edits that team's products and
assets), ``steward`` (approver; a team role or a global role), ``auditor`` (global:
reads the security and audit trails), ``admin`` (staff and superusers; the sign-on
group mapped to ``admin`` makes a user staff: everything).

Upper apps register object rules: ``register_rule(Model, fn)`` with
``fn(user, action, obj) -> bool``, where ``action`` is ``add``, ``change``, ``delete``
or an app's own verb (``harvest``) and ``obj`` an instance (or the model class for
``add``). :func:`can` says yes when the user is an admin or any rule registered for
the object's class (or a base class) says yes; with no rule for the class, signed-in
users may (the behaviour before rules).

Reads follow one policy, ``MESH_PUBLIC_READ``: when true (the default) anonymous
visitors read catalog metadata (pages and API); when false they are sent to sign in
(pages) or get 401 (API). Signed-in users always read.
"""

from collections.abc import Callable

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

ROLES = ("viewer", "owner", "steward", "auditor", "admin")

Rule = Callable[[object, str, object], bool]
_RULES: dict[type, list[Rule]] = {}
_ROLE_PROVIDERS: list[Callable[[object], set[str]]] = []


def register_rule(model: type, rule: Rule) -> None:
    """Add ``rule(user, action, obj) -> bool`` for instances of ``model``."""
    _RULES.setdefault(model, []).append(rule)


def register_role_provider(provider: Callable[[object], set[str]]) -> None:
    """Add ``provider(user) -> set of ROLES`` (e.g. products: team roles)."""
    _ROLE_PROVIDERS.append(provider)


def public_read() -> bool:
    """``MESH_PUBLIC_READ``: whether anonymous visitors may read catalog metadata."""
    return bool(getattr(settings, "MESH_PUBLIC_READ", True))


def may_read(user) -> bool:
    """Whether ``user`` (possibly anonymous) may read catalog metadata."""
    return public_read() or bool(user and user.is_authenticated)


def _global_roles(user) -> set[str]:
    if not (user and user.is_authenticated):
        return set()
    cached = getattr(user, "_mesh_global_roles", None)
    if cached is None:
        cached = set(user.global_roles.values_list("role", flat=True))
        user._mesh_global_roles = cached
    return cached


def is_admin(user) -> bool:
    """Staff and superusers (the global ``admin`` role, from sign-on groups, sets
    ``is_staff``). No query: pages call it often."""
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def roles(user) -> set[str]:
    """Every role ``user`` holds (empty for anonymous)."""
    if not (user and user.is_authenticated):
        return set()
    held = {"viewer"} | _global_roles(user)
    if is_admin(user):
        held.add("admin")
    for provider in _ROLE_PROVIDERS:
        held |= provider(user)
    return held


def has_role(user, role: str) -> bool:
    """Whether ``user`` holds ``role`` (admins hold every role)."""
    held = roles(user)
    return role in held or "admin" in held


def _rules_for(cls: type) -> list[Rule] | None:
    found = None
    for klass in cls.__mro__:
        if klass in _RULES:
            found = (found or []) + _RULES[klass]
    return found


def can(user, action: str, obj) -> bool:
    """Whether ``user`` may do ``action`` to ``obj`` (an instance, or a model class for
    ``add``). Anonymous: never. Admins: always. Otherwise the registered rules."""
    if not (user and user.is_authenticated):
        return False
    if is_admin(user):
        return True
    cls = obj if isinstance(obj, type) else type(obj)
    rules = _rules_for(cls)
    if rules is None:
        return True
    return any(rule(user, action, obj) for rule in rules)


def action_of(method: str) -> str:
    """The rule action of an HTTP method: POST add, DELETE delete, others change."""
    return {"POST": "add", "DELETE": "delete"}.get(method, "change")


class CatalogPermission(BasePermission):
    """DRF default: reads per ``MESH_PUBLIC_READ``; writes signed in and allowed by
    :func:`can` (``add`` on the view's model for a create, the action on the object).

    Anonymous writers (and readers when reads are private) get 401, others 403."""

    message = "You may not change this."
    #: reads follow MESH_PUBLIC_READ (see :func:`reads_open_to_anonymous`)
    follows_read_policy = True

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return may_read(request.user)
        if not (request.user and request.user.is_authenticated):
            return False
        model = getattr(getattr(view, "queryset", None), "model", None)
        if request.method == "POST" and model is not None and "pk" not in view.kwargs:
            return can(request.user, "add", model)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can(request.user, action_of(request.method), obj)


class ReadPolicyPermission(BasePermission):
    """Reads per ``MESH_PUBLIC_READ``; anything else needs a signed-in user."""

    follows_read_policy = True

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return may_read(request.user)
        return bool(request.user and request.user.is_authenticated)


def reads_open_to_anonymous(view, method: str) -> bool:
    """Whether ``method`` on ``view`` is readable without signing in: a safe method, the
    read policy open (``MESH_PUBLIC_READ``) and the view guarded by the catalog's
    read-policy permissions (``follows_read_policy``). Used by the OpenAPI schema to declare optional auth."""
    from django.conf import settings

    if method.upper() not in SAFE_METHODS or not getattr(settings, "MESH_PUBLIC_READ", True):
        return False
    return any(getattr(p, "follows_read_policy", False) for p in view.get_permissions())
