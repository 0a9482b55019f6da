"""Validation rules of product fields that need no database: product links.

Kept apart from :mod:`products.odps` so that the models (``DataProduct.clean``), the API
serializers and the descriptor import share one rule without importing each other.
"""

from urllib.parse import urlsplit

LINK_SCHEMES = ("http", "https", "mailto")


def link_url_problem(url) -> str | None:
    """Why ``url`` may not be stored as a product link (and rendered as ``href``), or None
    when it may: ``http``/``https`` URLs with a host, ``mailto:`` addresses and paths on
    this site (one leading ``/``; ``//host`` and ``/\\host`` are not paths). Anything
    else (``javascript:``, ``data:``, ``vbscript:``, whitespace or control characters that
    browsers strip, non-strings) is refused. Returns a sentence naming the url."""
    if not isinstance(url, str) or not url:
        return f"the url must be a non-empty string, got {url!r}"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return f"{url!r} contains whitespace or control characters"
    allowed = f"only {', '.join(LINK_SCHEMES)} URLs or a path starting with / may be linked"
    if url.startswith("/"):
        if url.startswith(("//", "/\\")):
            return f"{url!r} is not a path on this site; {allowed}"
        return None
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES:
        named = f"the scheme {scheme + ':'!r}" if scheme else "no scheme"
        return f"{url!r} has {named}; {allowed}"
    if scheme in ("http", "https") and not parts.netloc:
        return f"{url!r} has no host"
    return None


def is_safe_link(url) -> bool:
    """Whether ``url`` may be rendered as a link (:func:`link_url_problem` finds nothing).
    Meant for templates: render links already stored with another scheme as text."""
    return link_url_problem(url) is None


def bad_links(links) -> list[tuple[int, object, str]]:
    """``(index, link, reason)`` for every product link (``{type, url}``) whose URL
    :func:`link_url_problem` refuses, or that is not an object with a url. Shared by the
    API serializer and the model's validation (the admin)."""
    bad = []
    for i, link in enumerate(links or []):
        url = link.get("url") if isinstance(link, dict) else None
        why = "must be an object with a url" if not url else link_url_problem(url)
        if why:
            bad.append((i, link, why))
    return bad
