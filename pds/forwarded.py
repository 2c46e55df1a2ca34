"""The client's address behind trusted reverse proxies, from `X-Forwarded-For`.

Only when the TCP peer is a trusted proxy (`PDS_TRUSTED_PROXIES`): the list is walked from the
right, skipping trusted proxies, and the first untrusted address is the client. Entries left of
it are whatever the client sent and are never believed. A malformed entry on the way leaves the
peer's address in place. The result replaces the ASGI scope's `client`, so the rate limits and
anything else reading `request.client` see the client, not the proxy. With no trusted proxies
the middleware is not installed at all.

Not granian's proxy-header wrapper: it takes a malformed entry for the client (a fresh budget
per made-up value) and would act only under `pds serve`, not in the app the tests exercise.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

_HEADER = b"x-forwarded-for"
_LONGEST_ADDRESS = 45  # characters: an IPv6 address ending in a dotted IPv4 one
Network = IPv4Network | IPv6Network


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's `::ffff:10.0.0.1` is 10.0.0.1
    return address


class ForwardedFor:
    """Resolves the client behind `networks` (parsed once, at start-up)."""

    def __init__(self, networks: Sequence[Network]) -> None:
        self._networks = tuple(networks)
        # Parsing an address costs microseconds, and the same few recur (the proxy, each NGO's
        # servers): each is judged once. Entries are short, so the cache stays small.
        self._judge = lru_cache(maxsize=4096)(self._judge_afresh)

    def _judge_afresh(self, text: str) -> tuple[str, bool] | None:
        """The address in its normal form and whether it is trusted; None if not an address."""
        address = _parse(text)
        if address is None:
            return None
        return str(address), any(address in network for network in self._networks)

    def peer_is_trusted(self, host: str) -> bool:
        judged = self._judge(host)
        return judged is not None and judged[1]

    def client(self, forwarded_for: str) -> str | None:
        """The rightmost untrusted address in the header; None if any entry on the way is
        malformed (the caller keeps the peer). All trusted: the leftmost, itself a proxy."""
        judged = None
        for entry in reversed(forwarded_for.split(",")):
            text = entry.strip()
            judged = self._judge(text) if len(text) <= _LONGEST_ADDRESS else None
            if judged is None:
                return None
            if not judged[1]:
                return judged[0]
        return None if judged is None else judged[0]


def forwarded_for_middleware(networks: Sequence[Network]) -> list[DefineMiddleware]:
    """The middleware that sets the scope's client behind trusted proxies; none without them."""
    return [DefineMiddleware(_middleware, resolver=ForwardedFor(networks))] if networks else []


def _middleware(app: ASGIApp, resolver: ForwardedFor) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == ScopeType.HTTP and peer and resolver.peer_is_trusted(peer[0]):
            # Several header lines are one list, in order (RFC 9110 §5.3).
            values = [value.decode("latin-1") for key, value in scope["headers"] if key == _HEADER]
            client = resolver.client(",".join(values)) if values else None
            if client is not None:
                scope["client"] = (client, 0)
        await app(scope, receive, send)

    return middleware
