"""Account API: sign-up, sign-in, sign-out, profile, password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post, put
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from crypto.passwords import PasswordPolicyError
from pds.contract import (
    AUDITED,
    JSON_BODY_ERRORS,
    PUBLIC,
    RATE_LIMITED,
    SESSION,
    SESSION_OR_NONE,
    SESSION_WRITE_ERRORS,
    UNAVAILABLE,
    documented,
    domain,
    errors,
)
from pds.people.auth import session_cookie_name
from pds.people.schemas import (
    Credentials,
    PasswordChange,
    SessionInfo,
    SignInCredentials,
)
from pds.people.service import (
    EmailAlreadyRegistered,
    InvalidCredentials,
    PeopleService,
    Principal,
)
from pds.settings import Settings


def session_cookie(settings: NamedDependency[Settings], token: str | None) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Lax (so OAuth redirects keep the sign-in)."""
    return Cookie(
        key=session_cookie_name(settings.secure_cookies),
        value=token or "",
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=settings.session_ttl_seconds if token else 0,
    )


class AccountController(Controller):
    path = "/api/v1"
    tags = ["account"]

    @post(
        "/signup",
        status_code=HTTP_201_CREATED,
        summary="Create an account and sign in",
        response_description="The new account, signed in",
        description="Sets the session cookie.",
        security=PUBLIC,
        responses=errors(
            JSON_BODY_ERRORS,
            domain(EmailAlreadyRegistered, PasswordPolicyError),
            RATE_LIMITED,
            UNAVAILABLE,
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def sign_up(
        self,
        data: JSONBody[Credentials],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[SessionInfo]:
        person_id = people.sign_up(data.email, data.password)
        token = people.open_session(person_id)
        principal = people.resolve_session(token)
        assert principal is not None
        return Response(
            SessionInfo(person_id=person_id, role=principal.role),
            status_code=HTTP_201_CREATED,
            cookies=[session_cookie(settings, token)],
        )

    @post(
        "/signin",
        status_code=HTTP_200_OK,
        summary="Sign in with email and password",
        description="Sets the session cookie. Unknown emails and wrong passwords get the same "
        "answer, in about the same time.",
        security=PUBLIC,
        responses=errors(
            JSON_BODY_ERRORS, domain(InvalidCredentials), RATE_LIMITED, UNAVAILABLE, AUDITED
        ),
        sync_to_thread=True,
    )
    def sign_in(
        self,
        data: JSONBody[SignInCredentials],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[SessionInfo]:
        token, principal = people.sign_in(data.email, data.password)
        return Response(
            SessionInfo(person_id=principal.person_id, role=principal.role),
            cookies=[session_cookie(settings, token)],
        )

    @post(
        "/signout",
        status_code=HTTP_204_NO_CONTENT,
        summary="End this session",
        description="Clears the session cookie; without one, there is nothing to end.",
        security=SESSION_OR_NONE,
        responses=errors(UNAVAILABLE, AUDITED),
        operation_class=documented(status="204", no_content=True),
        sync_to_thread=True,
    )
    def sign_out(
        self,
        request: Request[Any, Any, Any],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[None]:
        token = request.cookies.get(session_cookie_name(settings.secure_cookies))
        if token:
            people.sign_out(token)
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, cookies=[session_cookie(settings, None)]
        )

    @put(
        "/me/password",
        status_code=HTTP_204_NO_CONTENT,
        summary="Change password",
        description="Ends every other session of the account.",
        security=SESSION,
        responses=errors(
            SESSION_WRITE_ERRORS,
            JSON_BODY_ERRORS,
            domain(InvalidCredentials, when="The current password is wrong"),
            domain(PasswordPolicyError),
            RATE_LIMITED,
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def change_password(
        self,
        data: JSONBody[PasswordChange],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> None:
        token = request.cookies.get(session_cookie_name(settings.secure_cookies), "")
        people.change_password(
            principal.person_id, data.current_password, data.new_password, keep_token=token
        )
