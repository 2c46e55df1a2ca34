"""Account API: sign-up, sign-in, sign-out, profile, password, recovery code."""

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
from pds.people import device_cookies
from pds.people.auth import device_cookie_name, session_cookie_name
from pds.people.recovery import AccountRecovery, RecoveryFailed
from pds.people.schemas import (
    Credentials,
    NewAccount,
    PasswordChange,
    PasswordConfirmation,
    RecoveryCode,
    RecoveryRequest,
    SessionInfo,
    SignInCredentials,
)
from pds.people.service import (
    EmailAlreadyRegistered,
    InvalidCredentials,
    PeopleService,
    Principal,
    normalise_email,
)
from pds.people.sign_in_failures import TooManySignInFailures
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


DEVICE_COOKIE_DAYS = 180


def device_cookie(
    settings: NamedDependency[Settings], people: NamedDependency[PeopleService], email: str
) -> Cookie:
    """Vouches for this browser at this account's sign-in (`pds.people.device_cookies`); set
    where the person proved they hold the account: sign-up, sign-in, recovery."""
    value = device_cookies.issue(people.keys.index_key, normalise_email(email))
    return Cookie(
        key=device_cookie_name(settings.secure_cookies),
        value=value,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",  # only ever read by our own sign-in forms and API
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
    )


def vouched_device(
    request: Request[Any, Any, Any], settings: Settings, people: PeopleService, email: str
) -> str | None:
    """The browser's device id if its device cookie is for the account of `email`."""
    cookie = request.cookies.get(device_cookie_name(settings.secure_cookies))
    return device_cookies.device_of(people.keys.index_key, cookie, normalise_email(email))


class AccountController(Controller):
    path = "/api/v1"
    tags = ["account"]

    @post(
        "/signup",
        status_code=HTTP_201_CREATED,
        summary="Create an account and sign in",
        response_description="The new account, signed in, with its recovery code",
        description="Sets the session cookie. The answer carries the account's recovery code, "
        "the only way back in after a forgotten password: show it to the person this once "
        "(only its hash is kept).",
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
        recovery: NamedDependency[AccountRecovery],
        settings: NamedDependency[Settings],
    ) -> Response[NewAccount]:
        person_id, code = recovery.sign_up(data.email, data.password)
        token = people.open_session(person_id)
        principal = people.resolve_session(token)
        assert principal is not None
        return Response(
            NewAccount(person_id=person_id, role=principal.role, recovery_code=code),
            status_code=HTTP_201_CREATED,
            cookies=[session_cookie(settings, token), device_cookie(settings, people, data.email)],
        )

    @post(
        "/signin",
        status_code=HTTP_200_OK,
        summary="Sign in with email and password",
        description="Sets the session cookie. Unknown emails and wrong passwords get the same "
        "answer, in about the same time. After too many wrong passwords for one email address, "
        "from any address, its sign-in is paused (429 with `Retry-After`), known account or "
        "not, except from a browser that signed in to it before (its device cookie).",
        security=PUBLIC,
        responses=errors(
            JSON_BODY_ERRORS,
            domain(InvalidCredentials, TooManySignInFailures),
            RATE_LIMITED,
            UNAVAILABLE,
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SignInCredentials],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[SessionInfo]:
        device = vouched_device(request, settings, people, data.email)
        token, principal = people.sign_in(data.email, data.password, device)
        return Response(
            SessionInfo(person_id=principal.person_id, role=principal.role),
            cookies=[session_cookie(settings, token), device_cookie(settings, people, data.email)],
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
            domain(TooManySignInFailures, when="Too many wrong passwords for this account lately"),
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

    @post(
        "/me/recovery-code",
        status_code=HTTP_201_CREATED,
        summary="Make a new recovery code",
        response_description="The new recovery code, shown this once",
        description="Needs the password. The account's earlier code stops working.",
        security=SESSION,
        responses=errors(
            SESSION_WRITE_ERRORS,
            JSON_BODY_ERRORS,
            domain(InvalidCredentials, when="The password is wrong"),
            domain(TooManySignInFailures, when="Too many wrong passwords for this account lately"),
            RATE_LIMITED,
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def new_recovery_code(
        self,
        data: JSONBody[PasswordConfirmation],
        principal: NamedDependency[Principal],
        recovery: NamedDependency[AccountRecovery],
    ) -> RecoveryCode:
        return RecoveryCode(recovery_code=recovery.replace_code(principal.person_id, data.password))

    @post(
        "/recovery",
        status_code=HTTP_200_OK,
        summary="Set a new password with the recovery code",
        response_description="The account's next recovery code, shown this once",
        description="For a forgotten password. Signs out every session of the account and "
        "spends the code. Unknown emails, wrong codes and used codes get the same answer, in "
        "about the same time.",
        security=PUBLIC,
        responses=errors(
            JSON_BODY_ERRORS,
            domain(RecoveryFailed, PasswordPolicyError),
            RATE_LIMITED,
            UNAVAILABLE,
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def recover(
        self,
        data: JSONBody[RecoveryRequest],
        recovery: NamedDependency[AccountRecovery],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[RecoveryCode]:
        code = recovery.recover(data.email, data.recovery_code, data.new_password)
        return Response(
            RecoveryCode(recovery_code=code),
            cookies=[device_cookie(settings, people, data.email)],
        )
