"""A forgotten password replaced with the one-time recovery code, through the API, on both
engines: the code comes once at sign-up, is spent by use, fails alike however it is wrong, and
every use or new code is an audit entry that holds no secret."""

from __future__ import annotations

import json
import re
from typing import Any

from pds.app import Services
from tests.conftest import PASSWORD
from tests.pds.audit.support import log_rows

EMAIL = "asha@example.org"
NEW_PASSWORD = "a brand new passphrase"
CODE_SHAPE = re.compile(r"[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){4}")


def _sign_up(client: Any) -> str:
    response = client.post("/api/v1/signup", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 201
    code: str = response.json()["recovery_code"]
    assert CODE_SHAPE.fullmatch(code)
    return code


def _recover(client: Any, code: str, email: str = EMAIL) -> Any:
    body = {"email": email, "recovery_code": code, "new_password": NEW_PASSWORD}
    return client.post("/api/v1/recovery", json=body)


def _sign_in(client: Any, password: str) -> int:
    response = client.post("/api/v1/signin", json={"email": EMAIL, "password": password})
    return int(response.status_code)


def test_recovery_sets_the_password_signs_everyone_out_and_gives_the_next_code(
    client: Any, new_client: Any
) -> None:
    code = _sign_up(client)
    phone = new_client()
    assert _sign_in(phone, PASSWORD) == 200
    # Typed by hand from paper: lower case, spaces instead of dashes.
    response = _recover(new_client(), code.lower().replace("-", " "))
    assert response.status_code == 200
    next_code = response.json()["recovery_code"]
    assert CODE_SHAPE.fullmatch(next_code) and next_code != code
    assert client.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 401
    assert _sign_in(new_client(), PASSWORD) == 401
    assert _sign_in(new_client(), NEW_PASSWORD) == 200
    assert _recover(new_client(), code).status_code == 401  # spent
    assert _recover(new_client(), next_code).status_code == 200


def test_unknown_email_wrong_code_and_spent_code_fail_alike(
    client: Any, new_client: Any, services: Services
) -> None:
    code = _sign_up(client)
    assert _recover(new_client(), code).status_code == 200
    services.people.sign_up("demo@example.org", PASSWORD)  # like `pds demo`: no code yet
    answers = [
        _recover(new_client(), code, email="nobody@example.org"),
        _recover(new_client(), "ABCD-EFGH-JKMN-PQRS-TUVW"),
        _recover(new_client(), code),
        _recover(new_client(), code, email="demo@example.org"),
    ]
    assert {a.status_code for a in answers} == {401}
    bodies = [a.json() for a in answers]
    assert all(body == bodies[0] for body in bodies)
    assert answers[0].headers["content-type"].startswith("application/problem+json")
    assert bodies[0]["type"].endswith("/recovery-failed")


def test_a_weak_new_password_is_refused_and_the_code_is_kept(client: Any, new_client: Any) -> None:
    code = _sign_up(client)
    body = {"email": EMAIL, "recovery_code": code, "new_password": "short"}
    refused = new_client().post("/api/v1/recovery", json=body)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert _recover(new_client(), code).status_code == 200


def test_a_new_code_needs_the_password_and_retires_the_old_one(
    client: Any, new_client: Any
) -> None:
    old = _sign_up(client)
    wrong = client.post("/api/v1/me/recovery-code", json={"password": "not my password"})
    assert wrong.status_code == 401
    made = client.post("/api/v1/me/recovery-code", json={"password": PASSWORD})
    assert made.status_code == 201
    new = made.json()["recovery_code"]
    assert CODE_SHAPE.fullmatch(new) and new != old
    assert _recover(new_client(), old).status_code == 401
    assert _recover(new_client(), new).status_code == 200
    signed_out = new_client().post("/api/v1/me/recovery-code", json={"password": PASSWORD})
    assert signed_out.status_code == 401


def test_recovery_and_new_codes_are_audited_without_secrets(
    client: Any, new_client: Any, services: Services
) -> None:
    code = _sign_up(client)
    client.post("/api/v1/me/recovery-code", json={"password": "not my password"})
    code = client.post("/api/v1/me/recovery-code", json={"password": PASSWORD}).json()[
        "recovery_code"
    ]
    _recover(new_client(), "ABCD-EFGH-JKMN-PQRS-TUVW")
    _recover(new_client(), code, email="nobody@example.org")
    next_code = _recover(new_client(), code).json()["recovery_code"]
    rows = log_rows(services)
    assert [(r["action"], r["outcome"], r["reason"]) for r in rows[1:]] == [
        ("account.recovery_code", "denied", "invalid_credentials"),
        ("account.recovery_code", "allowed", None),
        ("account.recovery", "denied", "invalid_recovery_code"),
        ("account.recovery", "denied", "invalid_recovery_code"),
        ("account.recovery", "allowed", None),
    ]
    assert rows[4]["subject"] is None  # an unknown address has no subject
    logged = json.dumps(rows, default=str)
    for secret in (code, next_code, code.replace("-", ""), PASSWORD, NEW_PASSWORD, EMAIL):
        assert secret not in logged
