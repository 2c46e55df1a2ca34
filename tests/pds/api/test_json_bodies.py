"""What the JSON API accepts as a body: JSON, labelled as JSON (415 otherwise)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PASSWORD, sign_up

PHONE = {"type": "contact.phone", "value": {"number": "+919876543210"}}


@pytest.fixture
def person(client: Any) -> Any:
    sign_up(client)
    return client


def _refused_as_unsupported(response: Any) -> dict[str, Any]:
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "/problems/unsupported-media-type"
    assert "application/json" in problem["detail"]
    return problem


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_json_body_not_labelled_json_is_415_and_changes_nothing(
    person: Any, content_type: str | None
) -> None:
    # A browser may send text/plain cross-site without a preflight: it must not create records.
    headers = {"content-type": content_type} if content_type else {}
    refused = person.post("/api/v1/me/records", content=json.dumps(PHONE), headers=headers)
    _refused_as_unsupported(refused)
    assert refused.headers["accept-post"] == "application/json"
    assert person.get("/api/v1/me/records").json()["items"] == []


def test_every_method_that_takes_json_checks_the_label(person: Any) -> None:
    record = person.post("/api/v1/me/records", json=PHONE).json()
    body = json.dumps({"value": {"number": "+919812345678"}})
    changed = person.put(
        f"/api/v1/me/records/{record['id']}", content=body, headers={"content-type": "text/plain"}
    )
    _refused_as_unsupported(changed)
    assert "accept-post" not in changed.headers  # no standard hint header for PUT
    assert person.get(f"/api/v1/me/records/{record['id']}").json()["version"] == 1
    signup = {"email": "ravi@example.org", "password": PASSWORD}
    refused = person.post("/api/v1/signup", content=json.dumps(signup))
    _refused_as_unsupported(refused)


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "APPLICATION/JSON", "application/x.pds+json"],
)
def test_json_and_json_structured_types_are_accepted(person: Any, content_type: str) -> None:
    created = person.post(
        "/api/v1/me/records", content=json.dumps(PHONE), headers={"content-type": content_type}
    )
    assert created.status_code == 201, created.text


def test_the_oauth_form_endpoints_still_take_forms(client: Any) -> None:
    answer = client.post("/oauth/token", data={"grant_type": "authorization_code"})
    assert answer.status_code in (400, 401)
    assert "error" in answer.json()
