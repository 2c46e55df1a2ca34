"""Grant changes run their hooks in the same transaction; dynamic registration is gated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select

from consent.grant_service import ConsentRequest
from consent.grants import GrantEvent, GrantEventKind, GrantState, WideningRefused, grants
from consent.registration import issue_registration_token
from consent.scopes import ScopeSet
from pds.app import Services
from pds.settings import Settings
from tests.conftest import make_settings
from tests.oauth_support import PURPOSE, register

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
        "/oauth/register", content=json.dumps(public), headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.text
    assert "client_secret" not in created.json()
