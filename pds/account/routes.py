"""Export everything; erase the account."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from pds.account.schemas import AccountExport
from pds.account.service import AccountService
from pds.contract import (
    AUDITED,
    JSON_BODY_ERRORS,
    PERSON_ERRORS,
    RATE_LIMITED,
    SESSION,
    SESSION_ERRORS,
    SESSION_WRITE_ERRORS,
    STORED_DATA_ERRORS,
    documented,
    domain,
    errors,
)
from pds.people.auth import PERSON_ONLY
from pds.people.routes import session_cookie
from pds.people.schemas import PasswordConfirmation, Profile
from pds.people.service import InvalidCredentials, PeopleService, Principal
from pds.people.sign_in_failures import TooManySignInFailures
from pds.settings import Settings


class MyAccountController(Controller):
    path = "/api/v1/me"
    tags = ["account"]
    security = SESSION

    @get(
        "/", summary="The signed-in account", responses=errors(SESSION_ERRORS), sync_to_thread=True
    )
    def me(
        self, principal: NamedDependency[Principal], people: NamedDependency[PeopleService]
    ) -> Profile:
        return Profile.model_validate(people.profile(principal.person_id))

    @get(
        "/export",
        summary="Everything I have here, as one portable JSON document",
        responses={
            200: ResponseSpec(AccountExport, description="The export", generate_examples=False),
            **errors(PERSON_ERRORS, STORED_DATA_ERRORS, AUDITED),
        },
        # An auditor's or administrator's export would read as a person's own look at records.
        dependencies=PERSON_ONLY,
        sync_to_thread=True,
    )
    def export(
        self, principal: NamedDependency[Principal], account: NamedDependency[AccountService]
    ) -> Response[dict[str, Any]]:
        return Response(
            account.export(principal.person_id),
            headers={
                "Content-Disposition": 'attachment; filename="pds-export.json"',
                "Cache-Control": "no-store",
            },
        )

    @delete(
        "/",
        status_code=HTTP_204_NO_CONTENT,
        summary="Erase my account (irreversible; re-enter the password)",
        description="Records, sessions and the data key go; every connection is revoked.",
        responses=errors(
            SESSION_WRITE_ERRORS,
            JSON_BODY_ERRORS,
            domain(InvalidCredentials, when="The password is wrong"),
            domain(TooManySignInFailures, when="Too many wrong passwords for this account lately"),
            RATE_LIMITED,
            AUDITED,
        ),
        operation_class=documented(status="204", no_content=True),
        sync_to_thread=True,
    )
    def erase(
        self,
        data: JSONBody[PasswordConfirmation],
        principal: NamedDependency[Principal],
        account: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
    ) -> Response[None]:
        account.erase(principal.person_id, data.password)
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, cookies=[session_cookie(settings, None)]
        )
