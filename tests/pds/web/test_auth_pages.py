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


def _code(page: str) -> str | None:
    """The recovery code a page shows, if it shows one."""
    match = re.search(r'<code id="recovery-code">([^<]+)</code>', page)
    return match.group(1) if match else None


def _post_form(client: Any, path: str, fields: dict[str, str], on: str | None = None) -> Any:
    """Post a form as the page it is `on` (by default its own path) would."""
    token = _csrf(client.get(on or path).text)
    return client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)


def test_signup_page_creates_account_and_shows_its_recovery_code_once(client: Any) -> None:
    page = client.get("/signup")
    assert page.status_code == 200
    assert 'for="email"' in page.text and 'for="password"' in page.text
    response = _post_form(
        client,
        "/signup",
        {"email": "web@example.org", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert response.status_code == 200  # the code is in this answer, not behind a redirect
    assert "only way back in if you forget your password" in response.text
    assert _code(response.text) and 'href="/"' in response.text
    assert response.headers["cache-control"] == "no-store"
    # Switching language reloads a page by GET, which would lose the code: not offered here.
    assert 'action="/language"' not in response.text
    home = client.get("/")
    assert home.status_code == 200 and "My records" in home.text
    assert _code(home.text) is None
    assert 'action="/language"' in home.text


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


def _web_sign_up(client: Any) -> str:
    fields = {"email": "web@example.org", "password": PASSWORD, "confirm_password": PASSWORD}
    code = _code(_post_form(client, "/signup", fields).text)
    assert code
    return code


def _recover(client: Any, code: str, **changes: str) -> Any:
    new = "a brand new passphrase"
    fields = {
        "email": "web@example.org",
        "recovery_code": code,
        "new_password": new,
        "confirm_password": new,
    }
    return _post_form(client, "/recover", {**fields, **changes})


def test_forgotten_password_reset_with_the_recovery_code(client: Any, new_client: Any) -> None:
    code = _web_sign_up(client)
    signin = client.get("/signin")
    assert 'href="/recover"' in signin.text and "Forgot your password?" in signin.text
    browser = new_client()
    mismatch = _recover(browser, code, confirm_password="something else entirely")
    assert mismatch.status_code == 422
    assert "The two new passwords are different." in mismatch.text
    assert 'value="web@example.org"' in mismatch.text and code not in mismatch.text
    done = _recover(browser, code.lower())
    assert done.status_code == 200 and "every device was signed out" in done.text
    next_code = _code(done.text)
    assert next_code and next_code != code
    assert 'href="/signin?done=password-reset"' in done.text
    assert client.get("/", follow_redirects=False).status_code in (302, 303)  # signed out
    notice = browser.get("/signin?done=password-reset")
    assert "Sign in with the new password." in notice.text
    signed_in = _post_form(
        browser, "/signin", {"email": "web@example.org", "password": "a brand new passphrase"}
    )
    assert signed_in.headers["location"] == "/"


def test_wrong_spent_or_unknown_recovery_fails_with_one_message(
    client: Any, new_client: Any
) -> None:
    code = _web_sign_up(client)
    assert _recover(new_client(), code).status_code == 200
    answers = [
        _recover(new_client(), code),  # spent
        _recover(new_client(), "ABCD-EFGH-JKMN-PQRS-TUVW"),
        _recover(new_client(), code, email="nobody@example.org"),
    ]
    message = "This email and recovery code do not match, or the code was already used."
    assert all(a.status_code == 422 and message in a.text for a in answers)
    assert all('id="recovery_code" name="recovery_code"' in a.text for a in answers)
    short = _recover(new_client(), code, new_password="short", confirm_password="short")
    assert short.status_code == 422 and "at least 8 characters" in short.text


def test_settings_makes_a_new_recovery_code_with_the_password(client: Any, new_client: Any) -> None:
    old = _web_sign_up(client)
    path = "/settings/recovery-code"
    wrong = _post_form(client, path, {"recovery_password": "not it"}, on="/settings")
    assert wrong.status_code == 422 and 'id="recovery_password-error"' in wrong.text
    # Found in review: the only message was far down a phone's screen, out of sight.
    assert "<title>Error: Settings" in wrong.text
    assert wrong.text.index('class="error-summary"') < wrong.text.index('id="password"')
    assert '<a href="#recovery_password">Your password: This password is wrong.</a>' in wrong.text
    made = _post_form(client, path, {"recovery_password": PASSWORD}, on="/settings")
    assert made.status_code == 200 and "The old one no longer works." in made.text
    new = _code(made.text)
    assert new and new != old
    assert _recover(new_client(), old).status_code == 422
    assert _recover(new_client(), new).status_code == 200
