"""POSTing one signed receipt to an organisation's webhook, without becoming an SSRF proxy.

The webhook URL is chosen by the organisation, so the service must not be made to call its own
network: unless private addresses are allowed (development and tests), the host is resolved once,
every address it resolves to must be public, and the connection goes to that checked address (so a
DNS answer that changes between check and connect cannot redirect it). Redirects are never
followed: http.client does not follow them, and a 3xx counts as a failed delivery.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from consent.uris import is_uri_text

MAX_URL_LENGTH = 2000
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "PDS-notices/1"


class InvalidWebhookUrl(ValueError):
    """A webhook URL the service will not call."""


class DeliveryFailed(Exception):
    """The receiver did not take the notice; `reason` is safe to store and show (no body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


# (url, compact JWS, receipt id, timeout in seconds); raises DeliveryFailed.
Sender = Callable[[str, str, str, float], None]

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def validate_webhook_url(url: str, *, allow_private: bool) -> str:
    """HTTPS (plain HTTP only on loopback where private addresses are allowed), no credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl("the URL is too long")
    if not is_uri_text(url):  # e.g. a CR/LF: it could never be called as registered
        raise InvalidWebhookUrl("the URL may hold only RFC 3986 characters (no spaces)")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidWebhookUrl("the URL must be absolute, with https")
    if parts.scheme == "http" and not (allow_private and host in _LOOPBACK_HOSTS):
        raise InvalidWebhookUrl("the URL must use https")
    if parts.username is not None or parts.password is not None or "#" in url:
        raise InvalidWebhookUrl("the URL must not carry credentials or a fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise InvalidWebhookUrl("the URL has an invalid port") from None
    if not allow_private and not _is_public_or_name(host):
        raise InvalidWebhookUrl("the URL must not point at a private address")
    return url


def _is_public_or_name(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name: checked when it is resolved, at every delivery


def _resolve(host: str, port: int, allow_private: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise DeliveryFailed("the webhook host does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private and not all(ipaddress.ip_address(a).is_global for a in addresses):
        raise DeliveryFailed("the webhook host resolves to a non-public address")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate and SNI are checked against the host name, not the pinned address.
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def http_sender(*, allow_private: bool) -> Sender:
    """The real sender: one POST, `Content-Type: application/jose`, `Idempotency-Key` = receipt."""

    def send(url: str, jws: str, receipt_id: str, timeout: float) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        address = _resolve(host, port, allow_private)
        kind = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
        connection = kind(host, port, address, timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": "application/jose",
            "Idempotency-Key": receipt_id,
            "User-Agent": USER_AGENT,
        }
        try:
            connection.request("POST", target, body=jws.encode("ascii"), headers=headers)
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryFailed(f"no answer: {type(exc).__name__}") from None
        finally:
            connection.close()
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}")

    return send
