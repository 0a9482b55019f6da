"""Issue 9, item 11: the CSP header is built once per settings (``config.csp``), and every
response still carries exactly the header django-csp builds itself: the settings' policy,
a changed policy after ``override_settings``, a per-view ``@csp_update``, a nonce a
template asked for, and exempt views."""

import pytest
from csp.constants import NONCE
from csp.decorators import csp_exempt, csp_update
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from config.csp import CachedCSPMiddleware

HEADER = "Content-Security-Policy"


def plain_view(request):
    return HttpResponse("ok")


@csp_update({"img-src": "https://images.example.com"})
def updated_view(request):
    return HttpResponse("ok")


@csp_exempt()
def exempt_view(request):
    return HttpResponse("ok")


def nonce_view(request):
    return HttpResponse(str(request.csp_nonce))


def directives(header: str) -> set[str]:
    """The directives of a policy header (django-csp writes them in set order)."""
    return {part.strip() for part in header.split(";")}


def serve(view, path="/search"):
    middleware = CachedCSPMiddleware(view)
    request = RequestFactory().get(path)
    return request, middleware(request)


def test_served_header_is_django_csps_own(db, client):
    resp = client.get("/search?q=orders")
    assert resp[HEADER] == build_policy()
    assert "default-src 'self'" in resp[HEADER] and "frame-ancestors 'none'" in resp[HEADER]


def test_changed_settings_change_the_header():
    _, before = serve(plain_view)
    policy = {"DIRECTIVES": {"default-src": ["'self'", "https://cdn.example.com"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        _, during = serve(plain_view)
        assert during[HEADER] == "default-src 'self' https://cdn.example.com"
    _, after = serve(plain_view)
    assert before[HEADER] == after[HEADER] != during[HEADER]


def test_report_only_policy_and_excluded_prefixes_from_settings():
    report_only = {"DIRECTIVES": {"script-src": ["'self'"]}, "EXCLUDE_URL_PREFIXES": ["/api/"]}
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        _, page = serve(plain_view, "/search")
        _, api = serve(plain_view, "/api/v1/search")
    assert directives(page["Content-Security-Policy-Report-Only"]) == {
        "default-src 'self'",
        "script-src 'self'",
    }
    assert "Content-Security-Policy-Report-Only" not in api
    assert api[HEADER] == page[HEADER]


def test_per_view_update_and_exemption_are_honoured():
    _, updated = serve(updated_view)
    assert "img-src 'self' data: https://images.example.com" in updated[HEADER]
    _, exempt = serve(exempt_view)
    assert HEADER not in exempt


@pytest.mark.parametrize("with_nonce", [True, False])
def test_a_nonce_asked_for_is_in_the_header(with_nonce):
    policy = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        request, resp = serve(nonce_view if with_nonce else plain_view)
    if with_nonce:
        assert f"'nonce-{resp.content.decode()}'" in resp[HEADER]
    else:
        assert directives(resp[HEADER]) == {"default-src 'self'", "script-src 'self'"}
        with pytest.raises(Exception, match="csp_nonce"):
            str(request.csp_nonce)  # asked for after the header was written
