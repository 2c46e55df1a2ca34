"""Who is calling: the session cookie, role guards, and a same-origin check for cookie writes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from pds.people.service import PeopleService, Principal, Role
from pds.settings import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Where a request notes that it renewed its session (scope state), for `pds.people.renewal`.
RENEWED_SESSION = "pds_renewed_session"


def session_cookie_name(secure: bool) -> str:
    # The __Host- prefix pins the cookie to our origin, path / and Secure.
    return "__Host-pds_session" if secure else "pds_session"


def device_cookie_name(secure: bool) -> str:
    return "__Host-pds_device" if secure else "pds_device"


def check_same_origin(request: Request[Any, Any, Any], public_url: str) -> None:
    """Refuse cookie-authenticated writes that a browser reports as cross-site (CSRF defence)."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PermissionDeniedException("cross-site request refused")
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != public_url:
        raise PermissionDeniedException("cross-origin request refused")


def resolve_session_cookie(
    request: Request[Any, Any, Any], people: PeopleService, cookie: str
) -> Principal | None:
    """The principal of the request's session cookie, if it is a live session.

    A session used in the second half of its life is extended: the request notes it, so that
    its answer sends the cookie again with a fresh lifetime (the browser would otherwise drop it
    at its first expiry, signing out someone who never stopped using the service).
    """
    token = request.cookies.get(cookie) or None
    principal = people.resolve_session(token) if token else None
    if principal is not None and principal.renewed:
        request.scope.setdefault("state", {})[RENEWED_SESSION] = token
    return principal


def principal_from_request(
    request: Request[Any, Any, Any], people: PeopleService, cookie: str, public_url: str
) -> Principal:
    principal = resolve_session_cookie(request, people, cookie)
    if principal is None:
        raise NotAuthorizedException("sign in first", headers={"WWW-Authenticate": "Cookie"})
    check_same_origin(request, public_url)
    return principal


class NotAPerson(Exception):
    """An auditor's or administrator's session on a person's own records, connections or
    receipts: those accounts keep none, and their calls must not read as a person's."""


def provide_person(
    request: Request[Any, Any, Any],
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Principal:
    """The signed-in person; any other role is refused before the handler runs."""
    cookie = session_cookie_name(settings.secure_cookies)
    principal = principal_from_request(request, people, cookie, settings.public_url)
    if principal.role is not Role.PERSON:
        raise NotAPerson
    return principal


# A controller's dependencies for a person's own data: `principal` is then a person or refused.
PERSON_ONLY = {"principal": Provide(provide_person, sync_to_thread=True)}
