"""Sign-up, sign-in, sessions and passwords through the HTTP API, on both engines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from consent.storage import utcnow
from pds.app import Services
from pds.people.models import sessions
from pds.settings import Settings
from tests.conftest import PASSWORD, sign_up


def test_signup_signs_in_and_me_returns_the_account(client: Any) -> None:
    person_id = sign_up(client)
    cookie = client.cookies.get("pds_session")
    assert cookie
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == person_id
    assert me.json()["email"] == "asha@example.org"
    assert me.json()["role"] == "person"


def test_session_cookie_is_httponly_and_samesite(client: Any) -> None:
    response = client.post("/api/v1/signup", json={"email": "c@example.org", "password": PASSWORD})
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header


def test_signin_wrong_password_and_unknown_account_answer_alike(
    client: Any, new_client: Any
) -> None:
    sign_up(client)
    other = new_client()
    wrong = other.post(
        "/api/v1/signin", json={"email": "asha@example.org", "password": "nope-nope"}
    )
    unknown = other.post(
        "/api/v1/signin", json={"email": "nobody@example.org", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["content-type"].startswith("application/problem+json")


def test_signin_then_signout_ends_the_session(client: Any, new_client: Any) -> None:
    sign_up(client)
    browser = new_client()
    assert browser.get("/api/v1/me").status_code == 401
    response = browser.post(
        "/api/v1/signin", json={"email": "ASHA@example.org ", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert browser.get("/api/v1/me").status_code == 200
    assert browser.post("/api/v1/signout").status_code == 204
    assert browser.get("/api/v1/me").status_code == 401


def test_duplicate_email_is_refused(client: Any, new_client: Any) -> None:
    sign_up(client)
    response = new_client().post(
        "/api/v1/signup", json={"email": "Asha@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 409


def test_password_rules_short_refused_long_kept_whole(client: Any, new_client: Any) -> None:
    short = client.post("/api/v1/signup", json={"email": "s@example.org", "password": "1234567"})
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "password"
    long_password = "pass phrase " * 16  # 192 characters, never truncated
    assert (
        client.post(
            "/api/v1/signup", json={"email": "l@example.org", "password": long_password}
        ).status_code
        == 201
    )
    truncated = new_client().post(
        "/api/v1/signin", json={"email": "l@example.org", "password": long_password[:-1]}
    )
    assert truncated.status_code == 401
    whole = new_client().post(
        "/api/v1/signin", json={"email": "l@example.org", "password": long_password}
    )
    assert whole.status_code == 200


def test_change_password_ends_other_sessions(client: Any, new_client: Any) -> None:
    sign_up(client)
    phone = new_client()
    phone.post("/api/v1/signin", json={"email": "asha@example.org", "password": PASSWORD})
    response = client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a new long passphrase"},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert phone.get("/api/v1/me").status_code == 401
    again = new_client().post(
        "/api/v1/signin", json={"email": "asha@example.org", "password": "a new long passphrase"}
    )
    assert again.status_code == 200


def test_cross_site_cookie_write_is_refused(client: Any) -> None:
    sign_up(client)
    response = client.post(
        "/api/v1/me/records",
        json={"type": "contact.phone", "value": {"number": "+919876543210"}},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert client.get("/api/v1/me/records").json()["items"] == []


def _age_sessions(services: Services, left: timedelta) -> None:
    """Every session now ends `left` from now: how a session looks after `ttl - left` of use."""
    with services.db.write() as conn:
        conn.execute(update(sessions).values(expires_at=utcnow() + left))


def _session_cookies(response: Any) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith("pds_session=")]


def test_a_renewed_session_sends_its_cookie_again(
    client: Any, services: Services, settings: Settings
) -> None:
    sign_up(client)
    token = client.cookies.get("pds_session")
    fresh = client.get("/api/v1/me")
    assert _session_cookies(fresh) == []  # early in its life: nothing to renew
    _age_sessions(services, timedelta(seconds=settings.session_ttl_seconds // 4))
    for path in ("/api/v1/me", "/", "/connections"):  # the API and the pages alike
        renewed = client.get(path)
        assert renewed.status_code == 200
        [header] = _session_cookies(renewed)
        assert header.startswith(f"pds_session={token};")
        assert f"Max-Age={settings.session_ttl_seconds}" in header
        assert "HttpOnly" in header
        _age_sessions(services, timedelta(seconds=settings.session_ttl_seconds // 4))


def test_signing_out_of_a_session_due_for_renewal_clears_the_cookie(
    client: Any, services: Services, settings: Settings
) -> None:
    sign_up(client)
    _age_sessions(services, timedelta(seconds=settings.session_ttl_seconds // 4))
    response = client.post("/api/v1/signout")
    assert response.status_code == 204
    [header] = _session_cookies(response)
    assert "Max-Age=0" in header
    assert client.get("/api/v1/me").status_code == 401
