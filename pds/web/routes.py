"""Server-rendered pages: sign-up, sign-in, sign-out and a first view of one's records.

The full individual and auditor UI builds on these. Forms post back to the same path; errors are
shown next to the form, never as a stack trace.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from pydantic import ValidationError

from crypto.passwords import PasswordPolicyError
from pds.people.auth import session_cookie_name
from pds.people.routes import session_cookie
from pds.people.schemas import Credentials
from pds.people.service import EmailAlreadyRegistered, InvalidCredentials, PeopleService
from pds.records.catalogue import CATALOGUE, CATEGORIES
from pds.records.service import RecordService
from pds.settings import Settings

Form = URLEncodedBody[dict[str, str]]


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _signed_in(
    request: Request[Any, Any, Any],
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Any:
    token = request.cookies.get(session_cookie_name(settings.secure_cookies))
    return people.resolve_session(token) if token else None


@get("/", include_in_schema=False, sync_to_thread=True)
def home(
    request: Request[Any, Any, Any],
    people: NamedDependency[PeopleService],
    records: NamedDependency[RecordService],
    settings: NamedDependency[Settings],
) -> Template | Redirect:
    principal = _signed_in(request, people, settings)
    if principal is None:
        return Redirect("/signin")
    views = records.list_records(principal.person_id)
    grouped: dict[str, list[Any]] = {}
    for view in views:
        grouped.setdefault(CATALOGUE[view.type].category, []).append(
            {"label": CATALOGUE[view.type].label, "view": view}
        )
    return Template(
        "home.html",
        context={"categories": CATEGORIES, "grouped": grouped, "role": principal.role.value},
    )


@get("/signup", include_in_schema=False, sync_to_thread=False)
def signup_page() -> Template:
    return Template("signup.html", context={"errors": {}, "email": ""})


@post("/signup", include_in_schema=False, sync_to_thread=True)
def signup_submit(
    data: Form, people: NamedDependency[PeopleService], settings: NamedDependency[Settings]
) -> Response[Any]:
    email = data.get("email", "").strip()
    errors: dict[str, str] = {}
    try:
        creds = Credentials(email=email, password=data.get("password", ""))
        person_id = people.sign_up(creds.email, creds.password)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "form"
            errors[field] = _plain_message(field, err["msg"])
    except PasswordPolicyError as exc:
        errors["password"] = str(exc)
    except EmailAlreadyRegistered:
        errors["email"] = "An account with this email already exists. Sign in instead."
    if errors:
        return Template("signup.html", context={"errors": errors, "email": email}, status_code=422)
    token = people.open_session(person_id)
    return Redirect("/", cookies=[session_cookie(settings, token)])


def _plain_message(field: str, message: str) -> str:
    if field == "password":
        return "Use a password of at least 8 characters."
    if field == "email":
        return "Enter an email address like name@example.org."
    return message


@get("/signin", include_in_schema=False, sync_to_thread=False)
def signin_page(next: FromQuery[str | None] = None) -> Template:
    return Template("signin.html", context={"error": None, "email": "", "next": _safe_next(next)})


@post("/signin", include_in_schema=False, sync_to_thread=True)
def signin_submit(
    data: Form, people: NamedDependency[PeopleService], settings: NamedDependency[Settings]
) -> Response[Any]:
    email = data.get("email", "").strip()
    target = _safe_next(data.get("next"))
    try:
        token, _ = people.sign_in(email, data.get("password", ""))
    except InvalidCredentials:
        return Template(
            "signin.html",
            context={"error": "Email or password is wrong.", "email": email, "next": target},
            status_code=401,
        )
    return Redirect(target, cookies=[session_cookie(settings, token)])


@post("/signout", include_in_schema=False, sync_to_thread=True)
def signout_submit(
    request: Request[Any, Any, Any],
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Redirect:
    token = request.cookies.get(session_cookie_name(settings.secure_cookies))
    if token:
        people.sign_out(token)
    return Redirect("/signin", cookies=[session_cookie(settings, None)])


def web_routes() -> list[HTTPRouteHandler]:
    return [home, signup_page, signup_submit, signin_page, signin_submit, signout_submit]
