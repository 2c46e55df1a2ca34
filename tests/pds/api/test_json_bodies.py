"""What the JSON API accepts as a body: JSON, labelled as JSON (415 otherwise)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pds.json_bodies import DuplicateKey, check_no_duplicate_keys
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


ADDRESS = '"value": {"country": "IN", "line1": "House 12", "village_or_city": "Rampur"}'


@pytest.mark.parametrize(
    ("body", "key"),
    [
        # Last-wins would store an address where the type named first is a phone number. No
        # colon inside a string: the count of colons alone shows a member went missing.
        ('{"type": "contact.phone", "type": "contact.address", ' + ADDRESS + "}", "type"),
        # Nested, and with a colon inside a string (the cheap proof of no duplicate fails).
        ('{"type": "contact.address", "value": {"country": "IN", "line1": "House 12: Gandhi '
         'Nagar", "village_or_city": "Rampur", "line1": "Flat 4"}}', "line1"),
        # Inside an array; the first of the two values is itself an object.
        ('{"type": "contact.address", ' + ADDRESS + ', "x": [{"k": {"a": 1}, "k": 2}]}', "k"),
    ],
    ids=["top-level", "nested", "in-an-array"],
)  # fmt: skip
def test_an_object_naming_a_key_twice_is_refused_at_any_depth(
    person: Any, body: str, key: str
) -> None:
    refused = person.post(
        "/api/v1/me/records", content=body, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "/problems/malformed-request"
    assert problem["detail"] == f"The key {key!r} appears twice in one JSON object."
    assert person.get("/api/v1/me/records").json()["items"] == []


@pytest.mark.parametrize("line1", ["House 12, Gandhi Nagar", "House 12: Gandhi Nagar"])
def test_the_same_key_in_different_objects_is_no_duplicate(person: Any, line1: str) -> None:
    value = {"country": "IN", "line1": line1, "village_or_city": "Rampur"}
    body = {"type": "contact.address", "value": value, "note": {"type": "x", "value": "y"}}
    answer = person.post("/api/v1/me/records", json=body)
    # Parsed as it stands: the only objection is validation's, to the extra member `note`.
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == ["note"]


# JSON text built from member lists, so an object may name a key twice; keys and strings are
# drawn from few characters, colons and quotes included, so that collisions are common.
_TEXT = st.text(alphabet='ab:"\\ ', max_size=4)
_JSON = st.recursive(
    st.one_of(st.integers().map(str), _TEXT.map(json.dumps)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(_TEXT, inner), max_size=3).map(
            lambda members: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in members) + "}"
        ),
    ),
    max_leaves=12,
)


def _names_a_key_twice(members: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in members}) != len(members):
        raise DuplicateKey(members[0][0])
    return dict(members)


@given(_JSON)
def test_duplicates_are_found_exactly_whichever_path_finds_them(text: str) -> None:
    body = text.encode()
    try:
        json.loads(body, object_pairs_hook=_names_a_key_twice)
        has_duplicate = False
    except DuplicateKey:
        has_duplicate = True
    try:
        check_no_duplicate_keys(body, msgspec.json.decode(body))
        refused = False
    except DuplicateKey:
        refused = True
    assert refused == has_duplicate
