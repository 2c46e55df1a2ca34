"""Every action of a person is an entry, allowed or denied, in the action's own transaction."""

from __future__ import annotations

import json
from typing import Any

from pds.app import Services
from pds.audit.trail import pseudonym_from_data_key
from pds.people.datakeys import load_data_key
from tests.conftest import PASSWORD, sign_up
from tests.pds.audit.support import PHONE, actions, log_rows


def _pseudonym(services: Services, person_id: str) -> str:
    with services.db.read() as conn:
        return pseudonym_from_data_key(load_data_key(conn, services.keys, person_id), person_id)


def test_sign_up_in_out_and_failures(client: Any, new_client: Any, services: Services) -> None:
    person_id = sign_up(client)
    me = _pseudonym(services, person_id)
    assert client.post("/api/v1/signout").status_code == 204
    wrong = {"email": "asha@example.org", "password": "not the password at all"}
    assert client.post("/api/v1/signin", json=wrong).status_code == 401
    unknown = {"email": "nobody@example.org", "password": PASSWORD}
    assert client.post("/api/v1/signin", json=unknown).status_code == 401
    right = {"email": "asha@example.org", "password": PASSWORD}
    assert client.post("/api/v1/signin", json=right).status_code == 200
    assert new_client().post("/api/v1/signup", json=right).status_code == 409
    rows = log_rows(services)
    assert [(r["action"], r["outcome"], r["subject"], r["reason"]) for r in rows] == [
        ("account.signup", "allowed", me, None),
        ("session.signout", "allowed", me, None),
        ("session.signin", "denied", me, "invalid_credentials"),
        ("session.signin", "denied", None, "invalid_credentials"),  # unknown account
        ("session.signin", "allowed", me, None),
        ("account.signup", "denied", None, "email_taken"),
    ]
    assert all(r["actor_type"] == "person" for r in rows)
    assert rows[0]["actor_id"] == me and rows[3]["actor_id"] is None


def test_record_actions_allowed_and_denied(client: Any, services: Services) -> None:
    sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    rid = record["id"]
    response = client.get(f"/api/v1/me/records/{rid}")
    client.put(f"/api/v1/me/records/{rid}", json={"value": {"number": "+919812345678"}})
    client.put(f"/api/v1/me/records/{rid}", json={"value": PHONE["value"], "expected_version": 1})
    client.get(f"/api/v1/me/records/{rid}/versions")
    client.get("/api/v1/me/records")
    client.get("/api/v1/me/records/no-such-record")
    client.delete(f"/api/v1/me/records/{rid}")
    assert actions(services)[1:] == [
        ("record.create", "allowed"),
        ("record.read", "allowed"),
        ("record.update", "allowed"),
        ("record.update", "denied"),
        ("record.versions", "allowed"),
        ("record.list", "allowed"),
        ("record.read", "denied"),
        ("record.delete", "allowed"),
    ]
    rows = log_rows(services)
    read = rows[2]
    assert read["record_ids"] == [rid] and read["record_types"] == ["contact.phone"]
    assert read["request_id"] == response.headers["x-request-id"]
    assert [r["reason"] for r in rows if r["outcome"] == "denied"] == [
        "version_conflict",
        "not_found",
    ]


def test_no_personal_data_token_or_password_in_the_log(client: Any, services: Services) -> None:
    sign_up(client, "canary.person@example.org")
    client.post("/api/v1/me/records", json=PHONE)
    client.get("/api/v1/me/records")
    client.get("/api/v1/me/export")
    text = json.dumps(log_rows(services), default=str)
    session = next(iter(client.cookies.values()))
    for secret in ("canary.person", "9876543210", PASSWORD, session):
        assert secret not in text


def test_export_and_erasure_are_audited_and_leave_no_link(client: Any, services: Services) -> None:
    person_id = sign_up(client)
    me = _pseudonym(services, person_id)
    client.post("/api/v1/me/records", json=PHONE)
    assert client.get("/api/v1/me/export").status_code == 200
    bad = client.request("DELETE", "/api/v1/me", json={"password": "not the password at all"})
    assert bad.status_code == 401
    assert client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}).status_code == 204
    rows = log_rows(services)
    tail = [(r["action"], r["outcome"], r["subject"]) for r in rows[2:]]
    assert tail == [
        ("account.export", "allowed", me),
        ("account.erase", "denied", me),
        ("account.erase", "allowed", me),
    ]
    # The pseudonym came from the data key, which is gone: nothing can derive it again.
    with services.db.read() as conn:
        assert services.audit.trail.pseudonym(conn, person_id) is None


def test_password_change_is_audited(client: Any, services: Services) -> None:
    sign_up(client)
    new = "another long passphrase"
    bad = {"current_password": "wrong wrong wrong", "new_password": new}
    assert client.put("/api/v1/me/password", json=bad).status_code == 401
    good = {"current_password": PASSWORD, "new_password": new}
    assert client.put("/api/v1/me/password", json=good).status_code == 204
    assert actions(services)[1:] == [
        ("account.password", "denied"),
        ("account.password", "allowed"),
    ]
