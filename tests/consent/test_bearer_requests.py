"""RFC 6750 §3.1 on the organisation API: a malformed request is `invalid_request` (400), a token
we do not honour is `invalid_token` (401), no credentials at all is a bare challenge (401)."""

from __future__ import annotations

from typing import Any

import pytest

from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import PHONE, bearer, grant_and_token, register

SCOPE = "contact.phone:read"
MALFORMED = 'Bearer realm="pds", error="invalid_request"'
INVALID = 'Bearer realm="pds", error="invalid_token"'


@pytest.fixture
def token_and_record(client: Any, services: Services) -> tuple[str, str]:
    person_id = sign_up(client)
    record_id = client.post("/api/v1/me/records", json=PHONE).json()["id"]
    token, _ = grant_and_token(services, person_id, register(services), SCOPE)
    return token, record_id


def _assert_invalid_request(response: Any, case: object) -> None:
    assert response.status_code == 400, (case, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), case
    assert response.json()["type"] == "/problems/invalid-request", case
    assert response.headers["www-authenticate"] == MALFORMED, case


@pytest.mark.parametrize(
    "header",
    [
        "Basic YTpi",  # not the Bearer scheme
        "Token {token}",
        "Bearer",  # the scheme, no token
        "Bearer ",
        "Bearer{token}",  # no space
        "Bearer {token} extra",  # space is not in b64token
        "Bearer {token},x",
        'Bearer "{token}"',
        "Bearer =={token}",  # "=" only as trailing padding
        "Bearer {token}é",
    ],
)
def test_a_malformed_authorization_header_is_invalid_request(
    client: Any, token_and_record: tuple[str, str], header: str
) -> None:
    token, record_id = token_and_record
    value = header.format(token=token)
    for path in ("/api/v1/records", f"/api/v1/records/{record_id}"):
        # httpx would refuse a non-ASCII header value given as str: send its UTF-8 bytes.
        response = client.get(path, headers={"Authorization": value.encode()})
        _assert_invalid_request(response, (path, header))


def test_a_token_sent_twice_is_invalid_request(
    client: Any, token_and_record: tuple[str, str]
) -> None:
    token, record_id = token_and_record
    twice = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    for path in ("/api/v1/records", f"/api/v1/records/{record_id}"):
        _assert_invalid_request(client.get(path, headers=twice), (path, "two headers"))
        also_in_query = client.get(path, params={"access_token": token}, headers=bearer(token))
        _assert_invalid_request(also_in_query, (path, "query"))
    in_body = {"access_token": token}
    for write in (client.post, client.put):
        path = "/api/v1/records" + ("/" + record_id if write == client.put else "")
        _assert_invalid_request(write(path, data=in_body, headers=bearer(token)), (path, "body"))


def test_well_formed_tokens_and_no_credentials_keep_their_answers(
    client: Any, token_and_record: tuple[str, str]
) -> None:
    token, record_id = token_and_record
    for path in ("/api/v1/records", f"/api/v1/records/{record_id}"):
        assert client.get(path, headers={"Authorization": f"bEaReR   {token}"}).status_code == 200
        for unknown in ("A" * 43, "abc-._~+/xyz==", token[:-1]):
            refused = client.get(path, headers=bearer(unknown))
            assert refused.status_code == 401, (path, unknown)
            assert refused.json()["type"] == "/problems/invalid-token"
            assert refused.headers["www-authenticate"] == INVALID
        anonymous = client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="pds"'
        # Another parameter's value is not a token: only `access_token` is. (The list reads its
        # query strictly, so there an unknown parameter is named as such, not as a token.)
        other = client.get(path, params={"x": "access_token"}, headers=bearer(token))
        if path == "/api/v1/records":
            assert other.status_code == 422, other.text
            assert [e["field"] for e in other.json()["errors"]] == ["x"]
        else:
            assert other.is_success, other.text
