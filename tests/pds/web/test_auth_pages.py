"""The minimal sign-up and sign-in pages: CSRF-protected forms, readable errors, safe redirects."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, sign_up


def _csrf(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "form carries no CSRF token"
    return match.group(1)


def _post_form(client: Any, path: str, fields: dict[str, str]) -> Any:
    token = _csrf(client.get(path).text)
    return client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_signup_page_creates_account_and_lands_on_records(client: Any) -> None:
    page = client.get("/signup")
    assert page.status_code == 200
    assert 'for="email"' in page.text and 'for="password"' in page.text
    response = _post_form(
        client,
        "/signup",
        {"email": "web@example.org", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "My records" in home.text


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_signup_errors_are_shown_next_to_the_field(client: Any) -> None:
    response = _post_form(
        client,
        "/signup",
        {"email": "not-an-email", "password": "short", "confirm_password": "short"},
    )
    assert response.status_code == 422
    assert "Enter an email address" in response.text
    assert "at least 8 characters" in response.text
    assert 'aria-invalid="true"' in response.text


def test_signup_with_two_different_passwords_keeps_the_email_not_the_passwords(
    client: Any, new_client: Any
) -> None:
    typo = "correct horse battery stapel"
    response = _post_form(
        client,
        "/signup",
        {"email": "web@example.org", "password": PASSWORD, "confirm_password": typo},
    )
    assert response.status_code == 422
    assert "The two passwords are different." in response.text
    assert 'id="confirm_password-error"' in response.text
    assert 'value="web@example.org"' in response.text
    assert PASSWORD not in response.text and typo not in response.text
    signin = new_client().post(
        "/api/v1/signin", json={"email": "web@example.org", "password": PASSWORD}
    )
    assert signin.status_code == 401  # no account was made


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_form_without_csrf_token_is_refused(client: Any) -> None:
    client.get("/signup")
    response = client.post("/signup", data={"email": "x@example.org", "password": PASSWORD})
    assert response.status_code == 403 and "This form has expired" in response.text
    assert response.headers["x-request-id"]  # the CSRF middleware refused it, inside the id's
    assert client.get("/", follow_redirects=False).status_code in (302, 303)


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_signin_page_wrong_password_then_right_one_follows_local_next_only(
    client: Any, new_client: Any
) -> None:
    sign_up(new_client(), "web@example.org")
    wrong = _post_form(client, "/signin", {"email": "web@example.org", "password": "nope"})
    assert wrong.status_code == 401 and "Email or password is wrong" in wrong.text
    evil = _post_form(
        client,
        "/signin",
        {"email": "web@example.org", "password": PASSWORD, "next": "https://evil.example/x"},
    )
    assert evil.headers["location"] == "/"
    signout = _post_form(client, "/", {})  # the sign-out form lives on the home page
    assert signout.status_code in (302, 303, 405)
    local = _post_form(
        new_client(), "/signin", {"email": "web@example.org", "password": PASSWORD, "next": "/x"}
    )
    assert local.headers["location"] == "/x"


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_pages_carry_security_headers(client: Any) -> None:
    headers = client.get("/signin").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
