"""CORS for a browser-based OAuth app (a public client with PKCE) and for nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from pds.app import Services, build_services, create_app
from tests.conftest import TEST_ORIGIN, make_settings, sign_up
from tests.oauth_support import (
    authorization_params,
    decide,
    pkce,
    redirect_query,
    register,
)

SPA = "https://field.example.org"
SCOPE = "contact.phone:read"


def _preflight(client: Any, path: str, origin: str, method: str = "POST") -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if method == "POST":
        headers["Access-Control-Request-Headers"] = "authorization, content-type"
    return client.options(path, headers=headers)


def _no_cors(response: Any) -> None:
    assert not any(name.startswith("access-control-") for name in response.headers), dict(
        response.headers
    )


def test_a_browser_app_may_call_the_token_and_revocation_endpoints(
    client: Any, services: Services
) -> None:
    sign_up(client)
    spa = register(services, public=True, name="Field", redirect_uri=SPA + "/callback")
    for path in ("/oauth/token", "/oauth/revoke"):
        answer = _preflight(client, path, SPA)
        assert answer.status_code in (200, 204), (path, answer.status_code)
        assert answer.headers["access-control-allow-origin"] == SPA
        assert answer.headers["access-control-allow-methods"] == "POST"
        allowed = answer.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        assert "access-control-allow-credentials" not in answer.headers
        assert "origin" in answer.headers["vary"].lower()
    verifier, challenge = pkce()
    code = redirect_query(decide(client, authorization_params(spa, SCOPE, challenge)))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": spa.redirect_uri,
            "code_verifier": verifier, "client_id": spa.client_id}  # fmt: skip
    tokens = client.post("/oauth/token", data=form, headers={"Origin": SPA})
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["access-control-allow-origin"] == SPA
    assert "access-control-allow-credentials" not in tokens.headers
    refused = client.post("/oauth/token", data=form, headers={"Origin": SPA})  # the code again
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == SPA
    revoke = {"token": tokens.json()["refresh_token"], "client_id": spa.client_id}
    revoked = client.post("/oauth/revoke", data=revoke, headers={"Origin": SPA})
    assert revoked.status_code == 200 and revoked.headers["access-control-allow-origin"] == SPA


def test_other_origins_get_no_cors(client: Any, services: Services) -> None:
    register(services, public=True, name="Field", redirect_uri=SPA + "/callback")
    confidential = "https://server.example.org"
    register(services, name="Server", redirect_uri=confidential + "/callback")
    for origin in (
        "https://attacker.example",
        confidential,
        SPA + ":8443",
        "http://field.example.org",
        "null",
    ):
        for path in ("/oauth/token", "/oauth/revoke"):
            _no_cors(_preflight(client, path, origin))
            _no_cors(client.post(path, data={"token": "x"}, headers={"Origin": origin}))
    # Introspection is for confidential clients, which never call from a browser.
    _no_cors(_preflight(client, "/oauth/introspect", SPA))


def test_discovery_and_jwks_are_readable_from_any_origin(client: Any) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/jwks.json"):
        answer = client.get(path, headers={"Origin": "https://anyone.example"})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers
        preflight = _preflight(client, path, "https://anyone.example", method="GET")
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert preflight.headers["access-control-allow-methods"] == "GET"
    assert "access-control-allow-origin" not in client.get("/oauth/authorize").headers


def test_pages_and_the_cookie_api_get_no_cors(client: Any, services: Services) -> None:
    sign_up(client)  # the session cookie is now sent with every request
    register(services, public=True, name="Field", redirect_uri=SPA + "/callback")
    for path in ("/", "/api/v1/me/records", "/api/v1/me/grants", "/api/v1/records"):
        _no_cors(client.get(path, headers={"Origin": SPA}))
        _no_cors(_preflight(client, path, SPA, method="GET"))
    _no_cors(_preflight(client, "/api/v1/me/records", SPA))


def test_a_browser_app_can_read_the_token_endpoints_rate_limit(
    tmp_path: Path, database_url: str
) -> None:
    """Found in review: a 429 is answered by the app's exception handler, outside the CORS
    middleware, so a browser app saw a network error instead of the refusal and its
    Retry-After."""
    settings = make_settings(tmp_path, database_url, rate_limit_token_per_minute=1)
    services = build_services(settings)
    try:
        spa = register(services, public=True, name="Field", redirect_uri=SPA + "/callback")
        form = {"grant_type": "authorization_code", "code": "x", "client_id": spa.client_id}
        with TestClient(create_app(settings, services), base_url=TEST_ORIGIN) as limited:
            answers = [limited.post("/oauth/token", data=form, headers={"Origin": SPA})]
            answers.append(limited.post("/oauth/token", data=form, headers={"Origin": SPA}))
    finally:
        services.db.dispose()
    assert [answer.status_code for answer in answers] == [400, 429]
    for answer in answers:
        assert answer.headers["access-control-allow-origin"] == SPA
        assert answer.headers.get_list("access-control-allow-origin") == [SPA]  # once
    assert int(answers[1].headers["retry-after"]) > 0
