"""The authorization code flow end to end, in process, on both engines."""

from __future__ import annotations

from typing import Any

from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import (
    IMMUNISATION,
    ISSUER,
    PHONE,
    bearer,
    obtain_tokens,
    refresh,
    register,
)


def test_code_flow_issues_tokens_that_read_only_granted_records(
    client: Any, services: Services
) -> None:
    sign_up(client)
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    client.post("/api/v1/me/records", json=IMMUNISATION)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, "contact.phone:read")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 600
    assert tokens["scope"] == "contact.phone:read"
    listed = client.get("/api/v1/records", headers=bearer(tokens["access_token"]))
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [phone["id"]]
    assert listed.headers["cache-control"] == "no-store"
    # The single fetch (its own fast encoder) answers exactly what the pydantic-encoded ones do.
    fetched = client.get(f"/api/v1/records/{phone['id']}", headers=bearer(tokens["access_token"]))
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == phone == listed.json()["items"][0]
    assert fetched.headers["content-type"] == "application/json"
    assert fetched.headers["cache-control"] == "no-store"
    rotated = refresh(client, ngo, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == ISSUER
