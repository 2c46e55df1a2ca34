"""Factories and steps for OAuth tests: organisations, clients, PKCE, consent, token exchange.

They drive the real endpoints (sign-in cookie, consent form with its CSRF token, token endpoint)
so every test exercises the same path an NGO's client does.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import uvicorn

from consent.grant_service import ConsentRequest
from consent.organisations import create_organisation, register_client
from consent.scopes import ScopeSet
from consent.storage import new_id, utcnow
from consent.tokens import NewTokens, save_tokens
from crypto.lookup import random_token
from pds.app import Services

REDIRECT = "https://ngo.example.org/callback"
ISSUER = "http://testserver.local"
PURPOSE = "dpv:ServiceProvision"
ALL_TEST_SCOPES = (
    "identity.name:read",
    "contact.phone:read",
    "contact.phone:write",
    "health.immunisations:read",
    "health.immunisations:write",
)
PHONE = {"type": "contact.phone", "value": {"number": "+919876543210", "kind": "mobile"}}
NAME = {"type": "identity.name", "value": {"given_name": "Asha", "family_name": "Devi"}}
IMMUNISATION = {
    "type": "health.immunisations",
    "value": {"vaccine": "td", "dose": 1, "date": "2024-01-15"},
}
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Registered:
    organisation_id: str
    client_id: str
    client_secret: str | None
    redirect_uri: str

    @property
    def auth(self) -> tuple[str, str] | None:
        return None if self.client_secret is None else (self.client_id, self.client_secret)


def register(
    services: Services,
    *,
    name: str = "Asha Community Health",
    public: bool = False,
    scopes: tuple[str, ...] = ALL_TEST_SCOPES,
    redirect_uri: str = REDIRECT,
    organisation_id: str | None = None,
) -> Registered:
    with services.db.write() as conn:
        org = organisation_id or create_organisation(conn, name=name)
        issued = register_client(
            conn,
            organisation_id=org,
            client_name=f"{name} app",
            redirect_uris=[redirect_uri],
            allowed_scopes=scopes,
            public=public,
        )
    return Registered(org, issued.client_id, issued.client_secret, redirect_uri)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_params(
    client: Registered, scope: str, challenge: str | None, **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": scope,
        "state": "st-" + secrets.token_hex(4),
        "purpose": PURPOSE,
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(extra)
    return {key: value for key, value in params.items() if value != ""}


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "consent page without CSRF token"
    return match.group(1)


def decide(
    http: Any,
    params: dict[str, str],
    *,
    approve: bool = True,
    items: list[str] | None = None,
    duration: str = "90",
) -> Any:
    """Open the consent page and submit it; returns the (redirect) response."""
    page = http.get("/oauth/authorize", params=params, follow_redirects=False)
    assert page.status_code == 200, page.text
    form = {"_csrf_token": csrf_token(page.text), "duration": duration}
    form["decision"] = "approve" if approve else "deny"
    chosen = params["scope"].split() if items is None else items
    form.update({f"item:{scope}": "yes" for scope in chosen})
    return http.post("/oauth/authorize?" + urlencode(params), data=form, follow_redirects=False)


def redirect_query(response: Any) -> dict[str, str]:
    assert response.status_code in (302, 303), (response.status_code, response.text)
    location = response.headers["location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(http: Any, client: Registered, code: str, verifier: str | None, **extra: str) -> Any:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    if client.client_secret is None:
        form["client_id"] = client.client_id
    form.update(extra)
    return http.post("/oauth/token", data=form, auth=client.auth)


def obtain_tokens(
    http: Any, client: Registered, scope: str, **decide_options: Any
) -> dict[str, Any]:
    """The whole flow for the signed-in person of `http`: consent, code, tokens."""
    verifier, challenge = pkce()
    params = authorization_params(client, scope, challenge)
    answer = redirect_query(decide(http, params, **decide_options))
    assert answer["state"] == params["state"] and answer["iss"] == ISSUER, answer
    response = exchange(http, client, answer["code"], verifier)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh(http: Any, client: Registered, refresh_token: str, scope: str | None = None) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        form["scope"] = scope
    if client.client_secret is None:
        form["client_id"] = client.client_id
    return http.post("/oauth/token", data=form, auth=client.auth)


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """The app on a real loopback socket (uvicorn, one event loop) for concurrent clients."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def grant_and_token(
    services: Services, person_id: str, client: Registered, scope: str
) -> tuple[str, str]:
    """A factory: the person approves `scope` for the client's organisation, and an access token
    is issued for it, without the redirect dance (for tests about what tokens may do)."""
    consent = services.consent
    request = ConsentRequest(
        person_id, client.organisation_id, client.client_id, ScopeSet.parse(scope), PURPOSE
    )
    grant = consent.grants.approve(request, request.scopes)
    token = random_token(32)
    now = utcnow()
    with services.db.write() as conn:
        save_tokens(
            conn,
            NewTokens(
                grant_id=grant.id,
                family_id=new_id(),
                client_id=client.client_id,
                person_id=person_id,
                scope=scope,
                access_token=token,
                refresh_token=None,
                issued_at=now,
                access_expires_at=now + timedelta(minutes=10),
            ),
        )
    return token, grant.id
