"""The person's records API: create, read, update with versions, delete, validation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import sign_up

PHONE = {"type": "contact.phone", "value": {"number": "+919876543210", "kind": "mobile"}}


@pytest.fixture
def person(client: Any) -> Any:
    sign_up(client)
    return client


def test_create_read_list_records(person: Any) -> None:
    created = person.post("/api/v1/me/records", json=PHONE)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["version"] == 1
    assert record["value"]["number"] == "+919876543210"
    assert person.get(f"/api/v1/me/records/{record['id']}").json() == record
    listed = person.get("/api/v1/me/records").json()["items"]
    assert [item["id"] for item in listed] == [record["id"]]
    assert person.get("/api/v1/me/records", params={"type": "identity.name"}).json()["items"] == []


@pytest.mark.parametrize(
    ("query", "key", "message"),
    [
        ("type=contact.phone&type=identity.name", "type", "given more than once"),
        ("typ=contact.phone", "typ", "unknown parameter"),
        ("type=", "type", "empty"),
    ],
)
def test_a_repeated_misspelt_or_empty_filter_is_refused(
    person: Any, query: str, key: str, message: str
) -> None:
    """Taking the last of two types, or ignoring a misspelt one, answers another question."""
    person.post("/api/v1/me/records", json=PHONE)
    answer = person.get(f"/api/v1/me/records?{query}")
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert (key, message) in [(e["field"], e["message"]) for e in answer.json()["errors"]]


def test_values_are_normalised_by_their_type(person: Any) -> None:
    created = person.post(
        "/api/v1/me/records",
        json={"type": "contact.phone", "value": {"number": "098765 43210"}},
    )
    assert created.status_code == 201
    assert created.json()["value"]["number"] == "+919876543210"


def test_update_keeps_versions(person: Any) -> None:
    record = person.post("/api/v1/me/records", json=PHONE).json()
    updated = person.put(
        f"/api/v1/me/records/{record['id']}",
        json={"value": {"number": "+919812345678", "kind": "whatsapp"}},
    )
    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    versions = person.get(f"/api/v1/me/records/{record['id']}/versions").json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["value"]["number"] == "+919876543210"
    assert versions[0]["value"]["kind"] == "whatsapp"


def test_stale_expected_version_conflicts_and_changes_nothing(person: Any) -> None:
    record = person.post("/api/v1/me/records", json=PHONE).json()
    person.put(f"/api/v1/me/records/{record['id']}", json={"value": {"number": "+919812345678"}})
    stale = person.put(
        f"/api/v1/me/records/{record['id']}",
        json={"value": {"number": "+919800000000"}, "expected_version": 1},
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert person.get(f"/api/v1/me/records/{record['id']}").json()["version"] == 2


def test_delete_removes_record_and_history(person: Any) -> None:
    record = person.post("/api/v1/me/records", json=PHONE).json()
    assert person.delete(f"/api/v1/me/records/{record['id']}").status_code == 204
    assert person.get(f"/api/v1/me/records/{record['id']}").status_code == 404
    assert person.get(f"/api/v1/me/records/{record['id']}/versions").status_code == 404


def test_records_of_others_are_invisible(person: Any, new_client: Any) -> None:
    record = person.post("/api/v1/me/records", json=PHONE).json()
    other = new_client()
    sign_up(other, "other@example.org")
    for method, path in (
        ("GET", f"/api/v1/me/records/{record['id']}"),
        ("GET", f"/api/v1/me/records/{record['id']}/versions"),
        ("DELETE", f"/api/v1/me/records/{record['id']}"),
    ):
        assert other.request(method, path).status_code == 404
    assert (
        other.put(
            f"/api/v1/me/records/{record['id']}", json={"value": {"number": "+919800000000"}}
        ).status_code
        == 404
    )
    assert person.get(f"/api/v1/me/records/{record['id']}").status_code == 200


def test_records_need_a_session(client: Any) -> None:
    response = client.get("/api/v1/me/records")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "contact.phone", "value": {"number": "12"}}, "value.number"),
        ({"type": "contact.phone", "value": {"number": "+919876543210", "x": 1}}, "value.x"),
        ({"type": "identity.date_of_birth", "value": {"date": "2999-01-01"}}, "value.date"),
        (
            {"type": "identity.government_id", "value": {"scheme": "pan", "number": "12345"}},
            "value.number",
        ),
        ({"type": "no.such_type", "value": {}}, "type"),
        ({"type": "contact.phone"}, "value"),
        ({"type": "contact.phone", "value": "a string"}, "value"),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_stores_nothing(
    person: Any, body: dict[str, Any], field: str
) -> None:
    response = person.post("/api/v1/me/records", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 422
    assert field in [error["field"] for error in problem["errors"]], problem
    assert person.get("/api/v1/me/records").json()["items"] == []


def test_malformed_json_is_a_clear_client_error(person: Any) -> None:
    response = person.post(
        "/api/v1/me/records", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_oversize_body_is_413(person: Any) -> None:
    huge = {"type": "health.conditions", "value": {"name": "x" * 300_000}}
    response = person.post("/api/v1/me/records", json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_record_types_lists_the_catalogue_with_schemas(client: Any) -> None:
    items = client.get("/api/v1/record-types").json()["items"]
    names = {item["name"] for item in items}
    assert {
        "identity.name",
        "identity.date_of_birth",
        "identity.government_id",
        "contact.phone",
        "contact.email",
        "contact.address",
        "household.members",
        "health.immunisations",
        "health.conditions",
        "education.enrolment",
        "income.benefits",
        "employment.status",
    } <= names
    for item in items:
        assert item["json_schema"]["type"] == "object"
        assert item["description"]


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    number=st.one_of(
        st.from_regex(r"\+91[6-9][0-9]{9}", fullmatch=True),
        st.text(max_size=40),
    )
)
def test_phone_validation_property(person: Any, number: str) -> None:
    """Whatever the input: 201 with an E.164 number, or 422 naming the field at fault.

    A number that is valid but not a mobile is blamed on `kind` (which defaults to mobile).
    """
    response = person.post(
        "/api/v1/me/records", json={"type": "contact.phone", "value": {"number": number}}
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        stored = response.json()["value"]["number"]
        assert stored.startswith("+") and stored[1:].isdigit()
    else:
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields & {"value.number", "value.kind"}, fields


@pytest.mark.parametrize("country", ["India", "IND", "in", "भारत"])
def test_an_address_in_india_as_people_write_it(person: Any, country: str) -> None:
    """Found in review: "India" and "IND" were refused as a country code, and a PIN code typed
    on a Hindi keyboard (४११००१) was "not 6 digits", though other numbers were accepted."""
    value = {"country": country, "line1": "House 12", "village_or_city": "Pune"}
    created = person.post(
        "/api/v1/me/records",
        json={"type": "contact.address", "value": value | {"postal_code": "४११ ००१"}},
    )
    assert created.status_code == 201, created.text
    stored = created.json()["value"]
    assert (stored["country"], stored["postal_code"]) == ("IN", "411001")
