"""django-csp's middleware with the policy header built once per settings, not per response.

django-csp 4 rebuilds ``Content-Security-Policy`` from ``settings.CONTENT_SECURITY_POLICY``
for every response (``dataclasses.asdict`` plus :func:`csp.utils.build_policy`: about a
third of the CPU of a hot-cache hit, see "Read load" in ``benchmarks/README.md``). The
header only varies with the settings, a nonce a template asked for, or a per-view
decorator (``@csp_update``, ``@csp_replace``, ``@csp``); :class:`CachedCSPMiddleware`
keeps the two strings (enforced and report-only) built from the settings and falls back
to django-csp's own code whenever a nonce or a per-view policy is in play, so every
response carries exactly the header django-csp would have written. The strings are
rebuilt when a ``CONTENT_SECURITY_POLICY*`` setting changes (``override_settings``).
"""

import http.client
from functools import lru_cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

#: response attributes set by django-csp's view decorators (a per-view policy)
PER_VIEW = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
#: error pages django-csp leaves alone when DEBUG is on (Django's debug views)
DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)


@lru_cache(maxsize=1)
def settings_policies() -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    """The enforced header, its excluded URL prefixes, the report-only header and its
    excluded prefixes, built from the settings alone (empty string: no header)."""
    enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
    return (
        build_policy(),
        tuple(enforced.get("EXCLUDE_URL_PREFIXES", None) or ()),
        build_policy(report_only=True),
        tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()),
    )


@receiver(setting_changed)
def _forget_policies(setting: str, **kwargs) -> None:
    """Rebuild the cached headers after a ``CONTENT_SECURITY_POLICY*`` setting changed."""
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        settings_policies.cache_clear()


class CachedCSPMiddleware(CSPMiddleware):
    """``csp.middleware.CSPMiddleware`` serving the settings' policy from a cache (see the
    module docstring); a response with a nonce or a per-view policy goes through
    django-csp unchanged."""

    def process_response(self, request, response):
        """Set ``Content-Security-Policy`` (and ``-Report-Only``) as django-csp does."""
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in PER_VIEW
        ):
            return super().process_response(request, response)
        if response.status_code in DEBUG_EXEMPT and settings.DEBUG:
            return response
        csp, excluded, csp_ro, excluded_ro = settings_policies()
        path = request.path_info
        if (
            csp
            and HEADER not in response
            and getattr(response, "_csp_exempt", False) is False
            and not path.startswith(excluded)
        ):
            response[HEADER] = csp
        if (
            csp_ro
            and HEADER_REPORT_ONLY not in response
            and getattr(response, "_csp_exempt_ro", False) is False
            and not path.startswith(excluded_ro)
        ):
            response[HEADER_REPORT_ONLY] = csp_ro
        # as django-csp: a nonce asked for after the header is written is an error
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
