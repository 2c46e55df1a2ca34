"""Who is looking at a page, and what a page shows instead of a stack trace when something fails.

Pages never answer 401 or problem+json: a missing or expired session sends the browser to the
sign-in page (saying the session ended, when it did) and back afterwards; a domain error becomes
a short page in the person's language.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect, Template

from consent.audit.queries import InvalidCursor as InvalidLogCursor
from consent.grants import GrantNotActive, GrantNotFound, WideningRefused
from consent.receipts import InvalidCursor, ReceiptNotFound
from consent.scopes import InvalidScope
from pds.audit.service import OutOfRange, Pruned
from pds.people.auth import resolve_session_cookie, session_cookie_name
from pds.people.routes import session_cookie
from pds.people.service import PeopleService, Principal, Role
from pds.people.sign_in_failures import TooManySignInFailures
from pds.records.catalogue import UnknownRecordType
from pds.records.service import RecordNotFound, VersionConflict
from pds.request_id import with_request_id
from pds.settings import Settings
from pds.web.i18n import N_


class SignInRequired(Exception):
    """The page needs a signed-in person; `expired` when a session cookie was there but dead."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("sign in required")
        self.expired = expired


class WrongRole(Exception):
    """Signed in, but this page is for another role (an auditor's tools, a person's records)."""


def session_token(request: Request[Any, Any, Any], settings: Settings) -> str | None:
    return request.cookies.get(session_cookie_name(settings.secure_cookies)) or None


def current_principal(
    request: Request[Any, Any, Any], people: PeopleService, settings: Settings
) -> Principal | None:
    return resolve_session_cookie(request, people, session_cookie_name(settings.secure_cookies))


def provide_viewer(
    request: Request[Any, Any, Any],
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Principal:
    """The signed-in principal of a page request, or SignInRequired."""
    principal = current_principal(request, people, settings)
    if principal is None:
        raise SignInRequired(expired=session_token(request, settings) is not None)
    return principal


def require_person(viewer: Principal) -> Principal:
    """Only a person's own account keeps records, connections and receipts (an administrator's
    account is for the command line, and has no pages)."""
    if viewer.role is not Role.PERSON:
        raise WrongRole
    return viewer


def _sign_in_again(request: Request[Any, Any, Any], error: SignInRequired) -> Response[Any]:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    query = {"next": target} | ({"expired": "1"} if error.expired else {})
    settings: Settings = request.app.state["services"].settings
    cookies = [session_cookie(settings, None)] if error.expired else []
    return Redirect("/signin?" + urlencode(query), cookies=cookies)


def not_for_your_account() -> Template:
    return error_page(
        N_("This page is not for your account"),
        N_("Your account cannot use this page. Use the links at the top of the page instead."),
        403,
    )


def _wrong_role(request: Request[Any, Any, Any], _error: WrongRole) -> Response[Any]:
    return not_for_your_account()


def error_page(title: str, message: str, status: int) -> Template:
    """A short page that says what happened and where to go next (msgids; translated there)."""
    return Template("error.html", context={"title": title, "message": message}, status_code=status)


_DOMAIN_PAGES: dict[type[Exception], tuple[str, str, int]] = {
    RecordNotFound: (
        N_("Record not found"),
        N_("This record does not exist or was deleted."),
        404,
    ),
    UnknownRecordType: (N_("Not found"), N_("There is no such kind of record."), 404),
    GrantNotFound: (
        N_("Connection not found"),
        N_("This connection does not exist."),
        404,
    ),
    ReceiptNotFound: (N_("Receipt not found"), N_("This receipt does not exist."), 404),
    InvalidCursor: (N_("Not found"), N_("This page of the list does not exist."), 404),
    InvalidLogCursor: (N_("Not found"), N_("This page of the list does not exist."), 404),
    InvalidScope: (N_("Not found"), N_("There is no such kind of record."), 404),
    OutOfRange: (N_("Not in the log"), N_("The log has no such entry or size."), 404),
    Pruned: (N_("Pruned"), N_("This part of the log was removed by the retention policy."), 410),
    GrantNotActive: (
        N_("This connection has already ended"),
        N_("Nothing was changed: this organisation no longer has access."),
        409,
    ),
    WideningRefused: (
        N_("That change is not possible here"),
        N_("Here you can only share less or for less time."),
        422,
    ),
    TooManySignInFailures: (
        N_("Too many wrong passwords"),
        N_(
            "Nothing was changed. The password was typed wrongly too many times for this "
            "account, so it is not checked for a while. Wait 15 minutes, then try again."
        ),
        429,
    ),
    VersionConflict: (
        N_("The record was changed meanwhile"),
        N_("Someone changed this record after you opened it. Open it again and redo the change."),
        409,
    ),
}


def _domain_page(_request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    for kind, (title, message, status) in _DOMAIN_PAGES.items():
        if isinstance(error, kind):
            return error_page(title, message, status)
    raise error  # pragma: no cover - only registered for the kinds above


_HTTP_PAGES: dict[int, tuple[str, str]] = {
    403: (
        N_("This form has expired"),
        N_("Nothing was changed. Go back, reload the page and try again."),
    ),
    429: (
        N_("Too many attempts"),
        N_("Nothing was changed. Wait a minute, then try again."),
    ),
}
_HTTP_OTHER = (N_("This did not work"), N_("Nothing was changed. Go back and try again."))
_NO_SUCH_PAGE = (
    N_("Page not found"),
    N_("There is no page at this address. Check the link, or go to the start page."),
)
# Where answers are JSON whatever the client accepts (the OAuth consent page has its own).
_JSON_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/metrics", "/health", "/schema", "/static/")


def wants_a_page(request: Request[Any, Any, Any]) -> bool:
    """A browser asking for a page (HTML preferred to JSON), not a client of the JSON APIs."""
    if request.url.path.startswith(_JSON_PREFIXES):
        return False
    preferred = request.accept.best_match(["application/json", "text/html"], "application/json")
    return preferred == "text/html"


def http_page(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """A refused form (CSRF), a rate limit, a malformed or unknown address, said on a page."""
    default = _NO_SUCH_PAGE if isinstance(error, NotFoundException) else _HTTP_OTHER
    title, message = _HTTP_PAGES.get(error.status_code, default)
    response = error_page(title, message, error.status_code)
    # e.g. Retry-After; and the request id, when a middleware refused it (CSRF, rate limit)
    response.headers.update(
        with_request_id(request.scope, dict(error.headers or {}), error.status_code)
    )
    return response


def failure_page(status: int) -> Template:
    """What a browser sees when the server failed (the failure is logged where it happened)."""
    return error_page(*_HTTP_OTHER, status)


def page_exception_handlers() -> dict[Any, Any]:
    handlers: dict[Any, Any] = {
        SignInRequired: _sign_in_again,
        WrongRole: _wrong_role,
        HTTPException: http_page,
        # Else the app's JSON answer would win: it is registered for this narrower class.
        ValidationException: http_page,
    }
    for kind in _DOMAIN_PAGES:
        handlers[kind] = _domain_page
    return handlers
