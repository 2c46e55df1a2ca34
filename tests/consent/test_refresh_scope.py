"""RFC 6749 §6: a refresh request's `scope` narrows the access token, never the refresh token."""

from __future__ import annotations

from typing import Any

from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import NAME, PHONE, bearer, obtain_tokens, refresh, register

BOTH = "contact.phone:read identity.name:read"
PHONE_READ = "contact.phone:read"


def _connected(client: Any, services: Services) -> tuple[Any, dict[str, Any]]:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    client.post("/api/v1/me/records", json=NAME)
    ngo = register(services)
    return ngo, obtain_tokens(client, ngo, BOTH)


def _refreshed(client: Any, ngo: Any, refresh_token: str, scope: str | None = None) -> Any:
    answer = refresh(client, ngo, refresh_token, scope)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _types(client: Any, access_token: str) -> list[str]:
    listed = client.get("/api/v1/records", headers=bearer(access_token))
    assert listed.status_code == 200, listed.text
    return sorted(item["type"] for item in listed.json()["items"])


def test_a_narrowed_refresh_then_one_without_scope_gives_the_full_scope_back(
    client: Any, services: Services
) -> None:
    ngo, tokens = _connected(client, services)
    narrowed = _refreshed(client, ngo, tokens["refresh_token"], PHONE_READ)
    assert narrowed["scope"] == PHONE_READ
    full = _refreshed(client, ngo, narrowed["refresh_token"])
    assert full["scope"] == BOTH
    assert _types(client, full["access_token"]) == ["contact.phone", "identity.name"]


def test_the_full_scope_may_be_asked_for_after_a_narrowed_refresh(
    client: Any, services: Services
) -> None:
    ngo, tokens = _connected(client, services)
    narrowed = _refreshed(client, ngo, tokens["refresh_token"], PHONE_READ)
    full = _refreshed(client, ngo, narrowed["refresh_token"], BOTH)
    assert full["scope"] == BOTH
    assert _types(client, full["access_token"]) == ["contact.phone", "identity.name"]


def test_a_narrowed_access_token_reads_only_its_scope_and_its_refresh_token_keeps_all(
    client: Any, services: Services
) -> None:
    ngo, tokens = _connected(client, services)
    narrowed = _refreshed(client, ngo, tokens["refresh_token"], PHONE_READ)
    assert _types(client, narrowed["access_token"]) == ["contact.phone"]
    auth = {"auth": ngo.auth}
    seen = client.post("/oauth/introspect", data={"token": narrowed["access_token"]}, **auth)
    assert seen.json()["scope"] == PHONE_READ
    seen = client.post("/oauth/introspect", data={"token": narrowed["refresh_token"]}, **auth)
    assert seen.json()["active"] is True and seen.json()["scope"] == BOTH


def test_a_grant_the_person_narrowed_still_limits_later_refreshes(
    client: Any, services: Services
) -> None:
    ngo, tokens = _connected(client, services)
    narrowed = _refreshed(client, ngo, tokens["refresh_token"], PHONE_READ)
    grant_id = client.get("/api/v1/me/grants").json()["items"][0]["id"]
    kept = client.patch(f"/api/v1/me/grants/{grant_id}", json={"scopes": ["identity.name:read"]})
    assert kept.status_code == 200, kept.text
    later = _refreshed(client, ngo, narrowed["refresh_token"])
    assert later["scope"] == "identity.name:read"
    assert _types(client, later["access_token"]) == ["identity.name"]
    refused = refresh(client, ngo, later["refresh_token"], BOTH)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    refused = refresh(client, ngo, later["refresh_token"], PHONE_READ)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
