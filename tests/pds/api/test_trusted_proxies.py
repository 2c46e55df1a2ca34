"""Behind a trusted reverse proxy, the per-address limits count the client X-Forwarded-For names.

Found in review: behind the proxy docs/deployment.md describes, every request came from the
proxy's address, so one client's mistakes spent everyone's sign-in and token budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from pds.app import build_services, create_app
from tests.conftest import TEST_ORIGIN, make_settings

pytestmark = pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)

PROXY = "10.0.0.1"
WRONG = {"email": "nobody@example.org", "password": "wrong password"}
Client = TestClient[Any]


def _from_peer(app: ASGIApp) -> ASGIApp:
    """The app as reached from the address in the test's `X-Test-Peer` header, else from the
    proxy (Litestar's test client calls itself "testclient")."""

    async def reached(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            peer = dict(scope["headers"]).get(b"x-test-peer", PROXY.encode()).decode()
            scope["client"] = (peer, 40000)
        await app(scope, receive, send)

    return reached


@pytest.fixture
def serve(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Client]]:
    """`serve(trusted)`: a client of the app trusting `trusted`; signing in is limited to 3 a
    minute, the token endpoint to 1."""
    opened: list[tuple[Client, Any]] = []

    def open_client(trusted: str) -> Client:
        settings = make_settings(
            tmp_path,
            database_url,
            trusted_proxies=trusted,
            rate_limit_signin_per_minute=3,
            rate_limit_token_per_minute=1,
        )
        services = build_services(settings)
        client: Client = TestClient(
            _from_peer(create_app(settings, services)),  # type: ignore[arg-type]
            base_url=TEST_ORIGIN,
        )
        client.__enter__()
        opened.append((client, services))
        return client

    yield open_client
    for client, services in opened:
        client.__exit__(None, None, None)
        services.db.dispose()


def _sign_in(client: Client, forwarded_for: str | None = None, peer: str = PROXY) -> int:
    headers = {"X-Test-Peer": peer}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.post("/api/v1/signin", json=WRONG, headers=headers).status_code


def test_each_client_behind_a_trusted_proxy_has_its_own_budget(serve: Any) -> None:
    client = serve(PROXY)
    assert [_sign_in(client, "198.51.100.7") for _ in range(3)] == [401, 401, 401]
    assert _sign_in(client, "198.51.100.7") == 429
    assert _sign_in(client, "198.51.100.8") == 401  # another person, another budget
    # IPv6: one address however it is written.
    spellings = ["2001:db8::7", "2001:DB8:0::7", "2001:db8:0:0:0:0:0:7", "2001:db8::0:7"]
    assert [_sign_in(client, written) for written in spellings] == [401, 401, 401, 429]


def test_each_client_has_its_own_token_budget(serve: Any) -> None:
    """The defect's worst case: one NGO's broken client starved every other NGO of tokens."""
    client = serve("10.0.0.0/8, ::1")
    form = {"grant_type": "client_credentials"}

    def token(forwarded_for: str) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        return client.post("/oauth/token", data=form, headers=headers).status_code

    assert token("198.51.100.7") != 429
    assert token("198.51.100.7") == 429
    assert token("203.0.113.9") != 429


def test_forwarded_for_is_ignored_without_trusted_proxies(serve: Any) -> None:
    """The default: PDS may face clients directly, and any client can write the header."""
    client = serve("")
    statuses = [_sign_in(client, f"198.51.100.{index}") for index in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_forwarded_for_is_believed_only_from_a_trusted_peer(serve: Any) -> None:
    """A client connecting directly cannot escape its budget by naming others, and is the same
    client when it comes through the proxy."""
    client = serve(PROXY)
    direct = [_sign_in(client, f"203.0.113.{index}", peer="198.51.100.7") for index in range(3)]
    assert direct == [401, 401, 401]
    assert _sign_in(client, "203.0.113.99", peer="198.51.100.7") == 429
    assert _sign_in(client, PROXY, peer="198.51.100.7") == 429  # nor by naming the proxy
    assert _sign_in(client, "198.51.100.7") == 429  # through the proxy: the same person
    assert _sign_in(client, "198.51.100.8") == 401


def test_a_spoofed_leftmost_entry_does_not_escape_the_limit(serve: Any) -> None:
    """The proxy appends the address it saw; whatever the client wrote stays on its left."""
    client = serve("10.0.0.0/8")
    statuses = [_sign_in(client, f"203.0.113.{index}, 198.51.100.7") for index in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Through two trusted proxies (and naming a trusted one as the client): still the same.
    assert _sign_in(client, "10.9.9.9, 198.51.100.7, 10.0.0.2") == 429
    assert _sign_in(client, "198.51.100.8, 10.0.0.2") == 401


def test_a_malformed_header_counts_against_the_proxy_itself(serve: Any) -> None:
    client = serve(PROXY)
    malformed = ["not an address", "198.51.100.7, junk", "198.51.100.7,"]
    assert [_sign_in(client, value) for value in malformed] == [401, 401, 401]
    assert _sign_in(client) == 429  # all three were the proxy's (as is a request without it)
    assert _sign_in(client, "198.51.100.300") == 429
    assert _sign_in(client, "198.51.100.7") == 401  # well-formed: the client's own budget
    # An unparsable entry left of the client is the client's own writing: never read.
    assert _sign_in(client, "junk, 198.51.100.9") == 401
