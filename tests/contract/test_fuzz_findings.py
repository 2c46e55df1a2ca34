"""What the fuzzer found, pinned: each of these broke the contract before it was fixed."""

from __future__ import annotations

from typing import Any

import pytest

from consent.registration import issue_registration_token
from pds.app import Services
from tests.conftest import sign_up

METADATA = {
    "client_name": "Field app",
    "redirect_uris": ["https://ngo.example.org/callback"],
    "scope": "contact.phone:read",
}


@pytest.mark.parametrize(
    "member",
    [
        {"response_types": [{}]},
        {"grant_types": [["authorization_code"]]},
        {"contacts": [1]},
        {"client_uri": {"href": "https://ngo.example.org"}},
    ],
)
def test_registration_metadata_of_the_wrong_shape_is_refused_not_a_crash(
    client: Any, services: Services, member: dict[str, Any]
) -> None:
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    refused = client.post(
        "/oauth/register", json={**METADATA, **member}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_client_metadata"


def test_options_names_every_method_of_the_path(client: Any) -> None:
    """Litestar 2 listed only the first-registered handlers' methods (litestar#4169)."""
    expected = {
        "/api/v1/me": "DELETE, GET, OPTIONS",
        "/api/v1/me/records": "GET, OPTIONS, POST",
        "/api/v1/me/records/some-id": "DELETE, GET, OPTIONS, PUT",
        "/api/v1/me/grants/some-id": "DELETE, GET, OPTIONS, PATCH",
        "/api/v1/records/some-id": "GET, OPTIONS, PUT",
        "/api/v1/webhook": "DELETE, GET, OPTIONS, PUT",
    }
    for path, methods in expected.items():
        answer = client.options(path)
        assert answer.status_code == 204, path
        assert answer.headers["allow"] == methods, path


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("0.5", 422),  # was read as a Unix time
        ("1700000000", 422),
        ("2026-11-23", 422),
        ("2026-13-01T00:00:00Z", 422),
        ("2026-11-23T10:00:00Z", 200),
        ("2026-11-23T10:00:00.123456+05:30", 200),
        ("2026-11-23T10:00:00", 200),  # no offset: UTC
    ],
)
def test_audit_times_are_rfc_3339(client: Any, services: Services, since: str, status: int) -> None:
    from tests.pds.audit.support import auditor_client

    auditor = auditor_client(lambda: client, services)
    for path in ("/api/v1/audit/entries", "/api/v1/audit/summary"):
        answer = auditor.get(path, params={"since": since, "until": "2999-01-01T00:00:00Z"})
        assert answer.status_code == status, (path, since, answer.text)
        if status == 422:
            assert answer.json()["errors"][0]["field"] == "since"


def test_no_content_answers_have_no_body(client: Any) -> None:
    sign_up(client)
    signed_out = client.post("/api/v1/signout")
    assert signed_out.status_code == 204 and signed_out.content == b""


NOT_UTF8 = b'{"type": "identity.name", "value": {"given_name": "\xff"}}'
TOO_DEEP = b'{"value": ' + b"[" * 5000 + b"]" * 5000 + b"}"


@pytest.mark.parametrize("body", [NOT_UTF8, TOO_DEEP], ids=["not-utf8", "too-deep"])
def test_a_body_that_is_not_json_is_the_clients_error_not_a_crash(
    client: Any, services: Services, body: bytes
) -> None:
    """msgspec raises UnicodeDecodeError and RecursionError for these, not its DecodeError."""
    json_type = {"content-type": "application/json"}
    for path in ("/api/v1/signin", "/api/v1/records", "/api/v1/me/records"):
        refused = client.post(path, content=body, headers=json_type)
        assert refused.status_code == 400, (path, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    registration = client.post(
        "/oauth/register", content=body, headers={**json_type, "Authorization": f"Bearer {token}"}
    )
    assert registration.status_code == 400, registration.text  # read as empty metadata
    assert registration.json()["error"] in {"invalid_client_metadata", "invalid_redirect_uri"}
