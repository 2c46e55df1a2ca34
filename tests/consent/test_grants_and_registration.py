"""Grant changes run their hooks in the same transaction; dynamic registration is gated."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Connection, func, select

from consent.grant_service import ConsentRequest
from consent.grants import GrantEvent, GrantEventKind, GrantState, WideningRefused, grants
from consent.organisations import get_client, oauth_clients
from consent.registration import issue_registration_token
from consent.scopes import ScopeSet
from pds.app import Services
from pds.settings import Settings
from tests.conftest import make_settings, sign_up
from tests.oauth_support import (
    PURPOSE,
    authorization_params,
    decide,
    pkce,
    redirect_query,
    register,
)

METADATA = {
    "client_name": "Registered NGO",
    "redirect_uris": ["https://registered.example.org/cb"],
    "scope": "contact.phone:read",
    "token_endpoint_auth_method": "client_secret_basic",
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Registration shares the sign-up rate limit; this module sends many on purpose.
    return make_settings(tmp_path, database_url, rate_limit_signup_per_minute=0)


def _request(services: Services, person: str, scope: str) -> ConsentRequest:
    ngo = register(services)
    return ConsentRequest(
        person, ngo.organisation_id, ngo.client_id, ScopeSet.parse(scope), PURPOSE
    )


def test_every_change_calls_the_hooks_with_before_and_after(services: Services) -> None:
    seen: list[GrantEvent] = []
    services.consent.grants.hooks.append(lambda _conn, event: seen.append(event))
    service = services.consent.grants
    request = _request(services, "person-1", "contact.phone:read identity.name:read")
    grant = service.approve(request, request.scopes)
    narrowed = service.narrow("person-1", grant.id, scopes=ScopeSet.of("identity.name:read"))
    service.revoke("person-1", grant.id)
    service.revoke("person-1", grant.id)  # already ended: no second event
    assert [e.kind for e in seen] == [
        GrantEventKind.CREATED,
        GrantEventKind.NARROWED,
        GrantEventKind.REVOKED,
    ]
    assert seen[1].previous is not None and seen[1].previous.scopes == grant.scopes
    assert seen[1].grant.scopes == narrowed.scopes
    assert seen[2].grant.state is GrantState.REVOKED and seen[2].grant.revoked_by is not None


def test_a_failing_hook_rolls_the_change_back(services: Services) -> None:
    def refuse(conn: Connection, event: GrantEvent) -> None:
        raise RuntimeError("evidence could not be written")

    services.consent.grants.hooks.append(refuse)
    request = _request(services, "person-2", "contact.phone:read")
    with pytest.raises(RuntimeError):
        services.consent.grants.approve(request, request.scopes)
    with services.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(grants)).scalar_one() == 0


def test_approval_cannot_exceed_the_request(services: Services) -> None:
    request = _request(services, "person-3", "contact.phone:read")
    with pytest.raises(WideningRefused):
        services.consent.grants.approve(request, ScopeSet.of("identity.name:read"))
    with pytest.raises(WideningRefused):
        services.consent.grants.approve(request, ScopeSet())


def test_registration_needs_a_valid_single_use_token(client: Any, services: Services) -> None:
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    anonymous = client.post("/oauth/register", json=METADATA)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_token"
    assert "WWW-Authenticate" in anonymous.headers
    wrong = client.post("/oauth/register", json=METADATA, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    # RFC 6750 §3.1: a malformed bearer request is invalid_request (as on the records API).
    for malformed in ("Basic bm9wZTpub3Bl", "Bearer", f"Bearer {token} extra", 'Bearer a"b'):
        refused = client.post(
            "/oauth/register", json=METADATA, headers={"Authorization": malformed}
        )
        assert refused.status_code == 400, malformed
        assert refused.json()["error"] == "invalid_request", malformed
        assert 'error="invalid_request"' in refused.headers["WWW-Authenticate"], malformed
    auth = {"Authorization": f"Bearer {token}"}
    for bad, error in (
        ({**METADATA, "redirect_uris": ["http://evil.example/cb"]}, "invalid_redirect_uri"),
        ({**METADATA, "redirect_uris": ["https://x.example/cb#f"]}, "invalid_redirect_uri"),
        ({**METADATA, "redirect_uris": []}, "invalid_redirect_uri"),
        ({**METADATA, "scope": "health.teeth:read"}, "invalid_client_metadata"),
        ({**METADATA, "grant_types": ["password"]}, "invalid_client_metadata"),
        ({**METADATA, "response_types": ["token"]}, "invalid_client_metadata"),
        ({**METADATA, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        (
            {key: v for key, v in METADATA.items() if key != "client_name"},
            "invalid_client_metadata",
        ),
    ):
        refused = client.post("/oauth/register", json=bad, headers=auth)
        assert refused.status_code == 400 and refused.json()["error"] == error, (bad, refused.text)
    for body in (b"not json", b"[1, 2]", b"{}"):
        refused = client.post("/oauth/register", content=body, headers=auth)
        assert refused.status_code == 400, body
    created = client.post("/oauth/register", json=METADATA, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["client_id"].startswith("pds_") and len(body["client_secret"]) >= 43
    assert body["redirect_uris"] == METADATA["redirect_uris"]
    spent = client.post("/oauth/register", json=METADATA, headers=auth)
    assert spent.status_code == 401


def test_public_registration_gets_no_secret(client: Any, services: Services) -> None:
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    public = {**METADATA, "token_endpoint_auth_method": "none"}
    created = client.post(
        "/oauth/register", json=public, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.text
    assert "client_secret" not in created.json()


def _register(client: Any, services: Services, metadata: dict[str, Any]) -> Any:
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    return client.post(
        "/oauth/register", json=metadata, headers={"Authorization": f"Bearer {token}"}
    )


def test_the_response_repeats_the_metadata_as_registered(client: Any, services: Services) -> None:
    """RFC 7591 §3.2.1: all registered metadata, defaults applied, and nothing unregistered."""
    asked = {
        "client_name": "  Registered NGO ",
        "redirect_uris": ["https://registered.example.org/cb"],
        "scope": "health.immunisations:read contact.phone:read contact.phone:read",
        "client_uri": "https://registered.example.org",  # the new organisation's website
        "contacts": ["it@registered.example.org"],  # not kept by this server
    }
    before = int(time.time())
    created = _register(client, services, asked)
    assert created.status_code == 201, created.text
    body = created.json()
    client_id, secret = body.pop("client_id"), body.pop("client_secret")
    assert before <= body.pop("client_id_issued_at") <= time.time() + 1
    assert body == {
        "client_secret_expires_at": 0,
        "client_name": "Registered NGO",
        "redirect_uris": ["https://registered.example.org/cb"],
        "scope": "contact.phone:read health.immunisations:read",
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_uri": "https://registered.example.org",
    }
    with services.db.read() as conn:
        stored = get_client(conn, client_id)
    assert stored is not None and stored.check_secret(secret)
    assert stored.client_name == body["client_name"]
    assert " ".join(stored.allowed_scopes) == body["scope"]


def test_a_public_client_is_registered_without_a_secret(client: Any, services: Services) -> None:
    asked = {
        **METADATA,
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"],
    }
    body = _register(client, services, asked).json()
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["token_endpoint_auth_method"] == "none"
    assert body["grant_types"] == ["authorization_code", "refresh_token"]  # every client refreshes


@pytest.mark.parametrize(
    "metadata",
    [
        {"grant_types": ["refresh_token"]},  # no code grant, yet the only response type is code
        {"grant_types": []},
        {"response_types": []},
        {"response_types": ["code", "token"]},
        {"grant_types": ["authorization_code", "client_credentials"]},
        {"token_endpoint_auth_method": "client_secret_jwt"},
    ],
    ids=lambda metadata: json.dumps(metadata),
)
def test_unsupported_or_inconsistent_metadata_is_refused(
    client: Any, services: Services, metadata: dict[str, Any]
) -> None:
    refused = _register(client, services, {**METADATA, **metadata})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_client_metadata", refused.text
    with services.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(oauth_clients)).scalar_one() == 0


def test_discovery_lists_what_registration_accepts(client: Any, services: Services) -> None:
    discovered = client.get("/.well-known/oauth-authorization-server").json()
    assert discovered["registration_endpoint"].endswith("/oauth/register")
    for method in discovered["token_endpoint_auth_methods_supported"]:
        asked = {**METADATA, "token_endpoint_auth_method": method}
        asked["grant_types"] = discovered["grant_types_supported"]
        asked["response_types"] = discovered["response_types_supported"]
        created = _register(client, services, asked)
        assert created.status_code == 201, (method, created.text)
        assert created.json()["token_endpoint_auth_method"] == method


@pytest.mark.parametrize(
    ("body", "description"),
    [
        # A proxy checking the first redirect URI would pass the second one through.
        (
            '{"client_name": "NGO", "scope": "contact.phone:read",'
            ' "redirect_uris": ["https://registered.example.org/cb"],'
            ' "redirect_uris": ["https://attacker.example/cb"]}',
            "The metadata names redirect_uris twice.",
        ),
        (
            '{"client_name": "NGO", "scope": "contact.phone:read", "x": {"\\"": 1, "\\"": 2},'
            ' "redirect_uris": ["https://registered.example.org/cb"]}',
            "The metadata names a member twice.",
        ),
        (
            '{"client_name": "NGO", "scope": "contact.phone:read", "made_up_by_the_client": 1,'
            ' "made_up_by_the_client": 2, "redirect_uris": ["https://registered.example.org/cb"]}',
            "The metadata names a member twice.",
        ),
        # Found in review: any other body read as empty metadata, and the answer then named a
        # missing field instead of what was wrong.
        ('["not", "an", "object"]', "The metadata must be one JSON object."),
        ('{"client_name": "NGO",', "The metadata must be one JSON object."),
        (
            "client_name=NGO",
            "The metadata must be sent as application/json (RFC 7591 section 3.1).",
        ),
    ],
    ids=["named", "unprintable-name", "not-a-standard-name", "array", "cut-short", "form"],
)
def test_metadata_that_is_not_one_clean_json_object_is_refused(
    client: Any, services: Services, body: str, description: str
) -> None:
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    auth = {"Authorization": f"Bearer {token}"}
    content_type = "application/x-www-form-urlencoded" if "=" in body else "application/json"
    anonymous = client.post("/oauth/register", content=body, headers={"Content-Type": content_type})
    assert anonymous.status_code == 401  # who asks is settled first
    refused = client.post(
        "/oauth/register", content=body, headers={**auth, "Content-Type": content_type}
    )
    assert refused.status_code == 400, refused.text
    assert refused.json() == {
        "error": "invalid_client_metadata",
        "error_description": description,
    }
    assert client.post("/oauth/register", json=METADATA, headers=auth).status_code == 201


@pytest.mark.parametrize(
    "uris",
    [
        ["https://x.example.org/c\r\nSet-Cookie: a=b"],  # the CR/LF was dropped on the way out
        ["https://x.example.org/c b"],
        ["https://ex\u00e4mple.org/cb"],  # an IRI: register it as punycode
        ["https://x.example.org/cb#"],  # an empty fragment, dropped on the way out
        ["https://x.example.org/" + "c" * 2000],
        [f"https://x.example.org/cb{n}" for n in range(11)],
    ],
    ids=["crlf", "space", "non-ascii", "empty-fragment", "long", "eleven"],
)
def test_a_redirect_uri_is_registered_only_as_it_will_be_used(
    client: Any, services: Services, uris: list[str]
) -> None:
    """Found in review: these were registered, and the address then redirected to was not the
    registered string (RFC 9700 §4.1: exact redirect URIs)."""
    refused = _register(client, services, {**METADATA, "redirect_uris": uris})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_redirect_uri"
    with services.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(oauth_clients)).scalar_one() == 0


def test_metadata_this_server_does_not_use_is_ignored_whatever_its_type(
    client: Any, services: Services
) -> None:
    """Stock registration libraries send extensions: OpenID's numbers and booleans, a JWK set."""
    asked = {**METADATA, "default_max_age": 3600, "require_auth_time": False, "jwks": {"keys": []}}
    created = _register(client, services, asked)
    assert created.status_code == 201, created.text
    assert not {"default_max_age", "require_auth_time", "jwks"} & created.json().keys()


def test_a_registered_purpose_serves_requests_that_state_none(
    client: Any, services: Services
) -> None:
    """Found in review: a stock client sending only standard parameters was refused for want of
    `purpose`, which the discovery document cannot tell it to send."""
    metadata = {
        "client_name": "Seva field app",
        "redirect_uris": ["https://seva.example.org/cb"],
        "scope": "contact.phone:read",
        "purpose": "dpv:ServiceProvision",
    }
    registered = _register(client, services, metadata)
    assert registered.status_code == 201, registered.text
    assert registered.json()["purpose"] == "dpv:ServiceProvision"
    for wrong in ("dpv:Nonsense", 7, ["dpv:ServiceProvision"]):
        refused = _register(client, services, metadata | {"purpose": wrong})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_client_metadata"
    sign_up(client)
    with services.db.read() as conn:
        stored = get_client(conn, registered.json()["client_id"])
    assert stored is not None and stored.default_purpose == "dpv:ServiceProvision"
    ngo = register(services, name="Plain")  # registered without one: requests must state it
    _, challenge = pkce()
    params = authorization_params(ngo, "contact.phone:read", challenge, purpose="")
    answer = client.get("/oauth/authorize?" + urlencode(params), follow_redirects=False)
    assert redirect_query(answer)["error"] == "invalid_request"
    params |= {"client_id": stored.client_id, "redirect_uri": "https://seva.example.org/cb"}
    page = client.get("/oauth/authorize", params=params)
    assert page.status_code == 200 and "to provide you with a service" in page.text
    assert redirect_query(decide(client, params))["code"]
