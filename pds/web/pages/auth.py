"""Sign up, sign in, sign out and the language switch.

Sign-up answers with the new account's recovery code, shown once (`recovery.py`).

Forms post back to their own path; errors are shown next to the field they are about. A session
that ended (expired, or signed out elsewhere) brings the person back here with a sentence saying
so, and after signing in they land where they were going.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from pydantic import ValidationError

from crypto.passwords import PasswordPolicyError
from pds.people.recovery import AccountRecovery
from pds.people.routes import device_cookie, session_cookie, vouched_device
from pds.people.schemas import Credentials
from pds.people.service import EmailAlreadyRegistered, InvalidCredentials, PeopleService, Role
from pds.people.sign_in_failures import TooManySignInFailures
from pds.settings import Settings
from pds.web.guard import session_token
from pds.web.i18n import LANGUAGE_COOKIE, LOCALES, N_
from pds.web.pages.common import notice, page
from pds.web.pages.recovery import show_code

Form = URLEncodedBody[dict[str, str]]

EMAIL_ERROR = N_("Enter an email address like name@example.org.")
PASSWORD_ERROR = N_("Use a password of at least 8 characters.")
EXISTS_ERROR = N_("An account with this email already exists. Sign in instead.")
MISMATCH_ERROR = N_("The two passwords are different.")
WRONG_ERROR = N_("Email or password is wrong.")
EXPIRED = N_("Your session ended, so you were signed out. Sign in again to continue.")


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def landing(role: Role) -> str:
    return "/audit" if role is Role.AUDITOR else "/"


@get("/signup", sync_to_thread=False)
def signup_page() -> Template:
    return page("signup.html", errors={}, email="")


@post("/signup", sync_to_thread=True)
def signup_submit(
    data: Form,
    people: NamedDependency[PeopleService],
    recovery: NamedDependency[AccountRecovery],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    email = data.get("email", "").strip()
    password = data.get("password", "")
    errors: dict[str, str] = {}
    # A mistyped password would lock the person out of an account they have just made.
    if password != data.get("confirm_password", ""):
        errors["confirm_password"] = MISMATCH_ERROR
    try:
        creds = Credentials(email=email, password=password)
        if not errors:
            person_id, code = recovery.sign_up(creds.email, creds.password)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "email"
            errors[field] = PASSWORD_ERROR if field == "password" else EMAIL_ERROR
    except PasswordPolicyError:
        errors["password"] = PASSWORD_ERROR
    except EmailAlreadyRegistered:
        errors["email"] = EXISTS_ERROR
    if errors:
        return page("signup.html", errors=errors, email=email, status_code=422)
    token = people.open_session(person_id)
    cookies = [session_cookie(settings, token), device_cookie(settings, people, email)]
    return show_code(code, "signup", cookies=cookies)


@get("/signin", sync_to_thread=False)
def signin_page(
    next: FromQuery[str | None] = None,
    expired: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,
) -> Template:
    return page(
        "signin.html",
        error=None,
        email="",
        next=safe_next(next),
        expired=EXPIRED if expired else None,
        notice=notice(done),
    )


@post("/signin", sync_to_thread=True)
def signin_submit(
    request: Request[Any, Any, Any],
    data: Form,
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    email = data.get("email", "").strip()
    target = data.get("next")
    again = partial(page, "signin.html", email=email, next=safe_next(target))
    device = vouched_device(request, settings, people, email)
    try:
        token, principal = people.sign_in(email, data.get("password", ""), device)
    except InvalidCredentials:
        return again(error=WRONG_ERROR, status_code=401)
    except TooManySignInFailures as paused:
        minutes = -(-paused.retry_after // 60)  # rounded up: never sooner than it works
        headers = {"Retry-After": str(paused.retry_after)}
        return again(paused_minutes=minutes, status_code=429, headers=headers)
    destination = safe_next(target) if target and target != "/" else landing(principal.role)
    cookies = [session_cookie(settings, token), device_cookie(settings, people, email)]
    return Redirect(destination, cookies=cookies)


@post("/signout", sync_to_thread=True)
def signout_submit(
    request: Request[Any, Any, Any],
    data: Form,
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Redirect:
    """Sign out; with `next` (the consent screen's "Not you?"), sign-in leads back there."""
    token = session_token(request, settings)
    if token:
        people.sign_out(token)
    target = "/signin?done=signed-out"
    if data.get("next"):
        target += "&next=" + quote(safe_next(data["next"]), safe="")
    return Redirect(target, cookies=[session_cookie(settings, None)])


@post("/language", sync_to_thread=False)
def switch_language(data: Form, settings: NamedDependency[Settings]) -> Redirect:
    """Remember the chosen language for a year; the page the switch was on shows again."""
    locale = data.get("lang", "")
    target = safe_next(data.get("next"))
    if locale not in LOCALES:
        return Redirect(target)
    cookie = Cookie(
        key=LANGUAGE_COOKIE,
        value=locale,
        path="/",
        max_age=365 * 24 * 3600,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return Redirect(target, cookies=[cookie])


AUTH_HANDLERS = [
    signup_page,
    signup_submit,
    signin_page,
    signin_submit,
    signout_submit,
    switch_language,
]
