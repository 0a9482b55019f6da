"""Webhook URLs may not reach internal addresses (server-side request forgery).

A webhook URL must be ``http`` or ``https`` with a host, and every address its host
resolves to must be public: loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12,
192.168/16, fc00::/7, 100.64/10 shared), link-local (169.254/16 — cloud metadata —,
fe80::/10), multicast, unspecified (0.0.0.0, ::) and reserved addresses are refused,
IPv4-mapped IPv6 addresses by their IPv4 address. ``MESH_WEBHOOK_ALLOWED_HOSTS``
(comma-separated host names, addresses or CIDR blocks, e.g.
``hooks.internal,10.1.0.0/16,127.0.0.1``) lets chosen internal endpoints through.

The check runs when a webhook is saved (API and admin: a 400 naming the URL and the
reason) and again at delivery, twice: before the POST (DNS may have changed since the
save) and on the socket actually connected (:func:`opener`: its connections refuse a
peer address that is not allowed, which also covers redirects and DNS answers that
change between the check and the connect). A refused delivery is recorded as failed
with the reason and is not retried.
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(OSError):
    """A webhook URL or address that is refused (the message names it and why)."""


class HostNotFound(UnsafeURL):
    """The URL's host does not resolve: refused when a webhook is saved; at delivery the
    POST is attempted (and retried) as for any network error, since DNS may recover."""


def _allowed() -> tuple[set[str], list]:
    names, networks = set(), []
    for item in getattr(settings, "MESH_WEBHOOK_ALLOWED_HOSTS", []) or []:
        item = item.strip().lower().strip("[]")
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.rstrip("."))
    return names, networks


def why_refused(address: str) -> str | None:
    """Why ``address`` (an IP literal) may not be reached, or None when it may (public,
    or inside ``MESH_WEBHOOK_ALLOWED_HOSTS``)."""
    ip: Address = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    _, networks = _allowed()
    if any(ip in net for net in networks):
        return None
    for test, label in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, test):
            return f"{'an' if label[0] in 'aeiu' else 'a'} {label} address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a private address"
    return None


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostNotFound(f"host {host} does not resolve ({exc})") from None
    return sorted({info[4][0] for info in infos})


def check_url(url: str) -> None:
    """Refuse ``url`` unless it is http(s) and its host only resolves to allowed
    addresses. Raises :class:`UnsafeURL` with ``"<host> resolves to <address>, a
    private address; allow it with MESH_WEBHOOK_ALLOWED_HOSTS"``-style messages."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURL(f"scheme {parts.scheme or '(none)'!r} is not allowed; use http or https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("the URL has no host")
    names, _ = _allowed()
    if host.lower() in names:
        return
    for address in _resolve(host, port):
        reason = why_refused(address)
        if reason:
            shown = f"{host} is" if host == address else f"{host} resolves to {address},"
            raise UnsafeURL(f"{shown} {reason}; allow it with MESH_WEBHOOK_ALLOWED_HOSTS")


def _check_peer(conn: http.client.HTTPConnection) -> None:
    names, _ = _allowed()
    if conn.host.lower().rstrip(".") in names:
        return
    address = conn.sock.getpeername()[0]
    reason = why_refused(address)
    if reason:
        conn.close()
        raise UnsafeURL(
            f"connected to {address} ({conn.host}), {reason}; "
            "allow it with MESH_WEBHOOK_ALLOWED_HOSTS"
        )


class _GuardedHTTP(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        _check_peer(self)


class _GuardedHTTPS(http.client.HTTPSConnection):
    def connect(self):
        super().connect()  # TCP and TLS; nothing of the request is sent yet
        _check_peer(self)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPS, req, context=self._context)


def opener() -> urllib.request.OpenerDirector:
    """A urllib opener whose connections refuse peers that :func:`why_refused` names
    (raised as ``URLError(reason=UnsafeURL)``). Environment proxies are not used."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler(), _HTTPSHandler()
    )
