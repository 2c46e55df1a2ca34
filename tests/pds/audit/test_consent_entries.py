"""Grants, tokens and organisations' record access are entries, allowed and denied — and the
person sees them, with the organisation named, in their activity."""

from __future__ import annotations

from typing import Any

from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import (
    IMMUNISATION,
    PHONE,
    bearer,
    grant_and_token,
    obtain_tokens,
    refresh,
    register,
)
from tests.pds.audit.support import log_rows


def _story(services: Services, since: int) -> list[tuple[str, str, str | None]]:
    return [
        (row["action"], row["outcome"], row["reason"])
        for row in log_rows(services)
        if row["seq"] > since
    ]


def test_oauth_flow_grant_tokens_and_fetches(client: Any, services: Services) -> None:
    person_id = sign_up(client)
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    shot = client.post("/api/v1/me/records", json=IMMUNISATION).json()
    ngo = register(services)
    start = len(log_rows(services))
    tokens = obtain_tokens(client, ngo, "contact.phone:read")
    headers = bearer(tokens["access_token"])
    assert client.get(f"/api/v1/records/{phone['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/records/{shot['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/records", headers=headers).status_code == 200
    write = {"type": "contact.phone", "value": {"number": "+919800000000"}}
    assert client.post("/api/v1/records", json=write, headers=headers).status_code == 403
    rotated = refresh(client, ngo, tokens["refresh_token"]).json()
    assert refresh(client, ngo, tokens["refresh_token"]).status_code == 400  # reuse: theft
    after = bearer(rotated["access_token"])
    assert client.get(f"/api/v1/records/{phone['id']}", headers=after).status_code == 401
    assert _story(services, start) == [
        ("grant.created", "allowed", None),
        ("token.issued", "allowed", None),
        ("record.read", "allowed", None),
        ("record.read", "denied", "insufficient_scope"),
        ("record.list", "allowed", None),
        ("record.create", "denied", "insufficient_scope"),
        ("token.refreshed", "allowed", None),
        ("token.refreshed", "denied", "reused"),
        ("grant.revoked", "allowed", None),
        ("record.read", "denied", "grant_revoked"),
    ]
    rows = [row for row in log_rows(services) if row["seq"] > start]
    read = rows[2]
    assert read["actor_type"] == "organisation" and read["actor_id"] == ngo.client_id
    assert read["organisation_id"] == ngo.organisation_id and read["purpose"]
    assert read["grant_id"] == rows[0]["grant_id"] and read["record_ids"] == [phone["id"]]
    assert rows[8]["actor_type"] == "system"  # the service ended the grant, not the person
    # Every entry of the flow is under the grant's purpose, tokens included, so an auditor
    # filtering by purpose sees the keys handed out with the reads they allowed.
    assert {row["purpose"] for row in rows} == {read["purpose"]}
    assert {row["organisation_id"] for row in rows} == {ngo.organisation_id}
    with services.db.read() as conn:
        me = services.audit.trail.pseudonym(conn, person_id)
    assert {row["subject"] for row in rows} == {me}


def test_person_revokes_and_the_organisation_is_refused(client: Any, services: Services) -> None:
    person_id = sign_up(client)
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    ngo = register(services, name="Village Health Trust")
    token, grant_id = grant_and_token(services, person_id, ngo, "contact.phone:read")
    start = len(log_rows(services))
    assert client.delete(f"/api/v1/me/grants/{grant_id}").status_code in (200, 204)
    assert client.get(f"/api/v1/records/{phone['id']}", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/records", headers=bearer(token)).status_code == 401
    junk = bearer("not-a-token-we-issued-" + "x" * 20)
    assert client.get("/api/v1/records", headers=junk).status_code == 401
    assert _story(services, start) == [
        ("grant.revoked", "allowed", None),
        ("record.read", "denied", "grant_revoked"),
        ("record.list", "denied", "grant_revoked"),
    ]
    activity = client.get("/api/v1/me/activity").json()["items"]
    refused = activity[0]
    assert refused["actor"]["label"] == "Village Health Trust"
    assert refused["outcome"] == "denied" and refused["reason"] == "grant_revoked"
    assert refused["grant_id"] == grant_id
    assert activity[2]["action"] == "grant.revoked" and activity[2]["actor"]["label"] == "You"


def test_token_revocation_endpoint_is_audited(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, "contact.phone:read")
    response = client.post("/oauth/revoke", data={"token": tokens["access_token"]}, auth=ngo.auth)
    assert response.status_code == 200
    assert log_rows(services)[-1]["action"] == "token.revoked"


def test_auditor_filters_by_client_grant_and_purpose(
    client: Any, new_client: Any, services: Services
) -> None:
    from tests.pds.audit.support import auditor_client

    person_id = sign_up(client)
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    first, second = register(services, name="First NGO"), register(services, name="Second NGO")
    token, grant_id = grant_and_token(services, person_id, first, "contact.phone:read")
    other, _ = grant_and_token(services, person_id, second, "contact.phone:read")
    for _ in range(2):
        client.get(f"/api/v1/records/{phone['id']}", headers=bearer(token))
    client.get(f"/api/v1/records/{phone['id']}", headers=bearer(other))
    auditor = auditor_client(new_client, services)

    def entries(**params: str) -> list[dict[str, Any]]:
        response = auditor.get("/api/v1/audit/entries", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    by_client = entries(client=first.client_id, action="record.read")
    assert len(by_client) == 2 and {e["organisation_name"] for e in by_client} == {"First NGO"}
    by_grant = entries(grant=grant_id)
    assert [e["action"] for e in by_grant] == ["record.read", "record.read", "grant.created"]
    purpose = by_grant[0]["purpose"]
    assert len(entries(purpose=purpose, action="record.read")) == 3
    summary = auditor.get("/api/v1/audit/summary", params={"action": "record.read"}).json()
    counts = {item["name"]: item["count"] for item in summary["by_organisation"]}
    assert counts == {"First NGO": 2, "Second NGO": 1}
    assert summary["by_purpose"] == [{"purpose": purpose, "count": 3}]


def test_free_text_in_a_record_url_never_reaches_the_log(client: Any, services: Services) -> None:
    """An entry can be neither edited nor erased: an "id" someone typed (here a name and a phone
    number) leaves the attempt on record, not the text. A real record's id is still named."""
    person_id = sign_up(client)
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    ngo = register(services)
    token, grant_id = grant_and_token(services, person_id, ngo, "contact.phone:read")
    typed = "Asha Devi +919876543210"
    start = len(log_rows(services))
    assert client.get(f"/api/v1/me/records/{typed}").status_code == 404
    assert client.get(f"/records/{typed}").status_code == 404  # the web page
    assert client.get(f"/api/v1/records/{typed}", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/records/{phone['id']}", headers=bearer(token)).status_code == 200
    assert client.delete(f"/api/v1/me/grants/{grant_id}").status_code in (200, 204)
    assert client.get(f"/api/v1/records/{typed}", headers=bearer(token)).status_code == 401
    rows = [row for row in log_rows(services) if row["action"] == "record.read"][-5:]
    assert [(r["outcome"], r["reason"], r["record_ids"]) for r in rows[-5:]] == [
        ("denied", "not_found", []),
        ("denied", "not_found", []),
        ("denied", "not_found", []),
        ("allowed", None, [phone["id"]]),
        ("denied", "grant_revoked", []),
    ]
    logged = str(log_rows(services)[start:])
    assert "Asha" not in logged and "9876543210" not in logged


def test_a_write_the_token_may_not_make_is_refused_before_its_value_is_judged(
    client: Any, services: Services
) -> None:
    """Found in review: the value was validated before the scope was checked, so a client without
    write scope got the type's validation errors (422) and its attempt left no entry."""
    person_id = sign_up(client)
    ngo = register(services)
    token, _ = grant_and_token(services, person_id, ngo, "contact.phone:read")
    start = len(log_rows(services))
    for value in ({"number": "not a phone number"}, {"number": "+919800000000"}):
        answer = client.post(
            "/api/v1/records", json={"type": "contact.phone", "value": value}, headers=bearer(token)
        )
        assert answer.status_code == 403, answer.text
        assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert _story(services, start) == [("record.create", "denied", "insufficient_scope")] * 2
    # With the scope, the same invalid value is judged on its merits.
    writer, _ = grant_and_token(services, person_id, register(services), "contact.phone:write")
    invalid = {"type": "contact.phone", "value": {"number": "not a phone number"}}
    assert client.post("/api/v1/records", json=invalid, headers=bearer(writer)).status_code == 422


def test_listing_a_type_the_token_may_not_read_is_refused_as_logged(
    client: Any, services: Services
) -> None:
    """Found in review: the answer was an empty list (200) while the log said denied
    insufficient_scope; the organisation and the auditor read two different stories."""
    person_id = sign_up(client)
    client.post("/api/v1/me/records", json=IMMUNISATION)
    ngo = register(services)
    token, _ = grant_and_token(services, person_id, ngo, "contact.phone:read")
    start = len(log_rows(services))
    answer = client.get(
        "/api/v1/records", params={"type": "health.immunisations"}, headers=bearer(token)
    )
    assert answer.status_code == 403, answer.text
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert answer.headers["content-type"].startswith("application/problem+json")
    (entry,) = [row for row in log_rows(services) if row["seq"] > start]
    assert (entry["action"], entry["outcome"], entry["reason"]) == (
        "record.list",
        "denied",
        "insufficient_scope",
    )
    assert entry["record_types"] == ["health.immunisations"]
    allowed = client.get("/api/v1/records", params={"type": "contact.phone"}, headers=bearer(token))
    assert allowed.status_code == 200 and allowed.json()["items"] == []  # none yet: that is 200


def test_an_organisation_asking_for_two_types_at_once_is_refused(
    client: Any, services: Services
) -> None:
    """The framework keeps the last of repeated values: the answer would be one type's records
    while the organisation believed it asked for another."""
    person_id = sign_up(client)
    ngo = register(services)
    token, _ = grant_and_token(services, person_id, ngo, "contact.phone:read")
    answer = client.get(
        "/api/v1/records?type=health.immunisations&type=contact.phone", headers=bearer(token)
    )
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert (error["field"], error["message"]) == ("type", "given more than once")
