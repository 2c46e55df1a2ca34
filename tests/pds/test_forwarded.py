"""Which address in X-Forwarded-For is the client's, behind trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from pds.forwarded import ForwardedFor


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7 ,10.0.0.1", "198.51.100.7"),
        ("203.0.113.1, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        ("10.0.0.2, 10.0.0.1", "10.0.0.2"),  # only proxies: the farthest
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:DB8::0:1", "2001:db8::1"),
        ("198.51.100.7, junk", None),
        ("", None),
        ("198.51.100.7:4711", None),  # ports are not part of X-Forwarded-For
    ],
)
def test_the_client_is_the_rightmost_untrusted_address(header: str, client: str | None) -> None:
    resolver = ForwardedFor([ip_network("10.0.0.0/8")])
    assert resolver.client(header) == client
    assert resolver.peer_is_trusted("10.1.2.3") and resolver.peer_is_trusted("::ffff:10.1.2.3")
    assert not resolver.peer_is_trusted("198.51.100.7") and not resolver.peer_is_trusted("x")
