"""Export everything; erase the account."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get
from litestar.status_codes import HTTP_204_NO_CONTENT

from pds.account.service import AccountService
from pds.people.routes import session_cookie
from pds.people.schemas import PasswordConfirmation, Profile
from pds.people.service import PeopleService, Principal
from pds.settings import Settings


class MyAccountController(Controller):
    path = "/api/v1/me"
    tags = ["account"]

    @get("/", summary="The signed-in account")
    def me(self, principal: Principal, people: PeopleService) -> Profile:
        return Profile.model_validate(people.profile(principal.person_id))

    @get("/export", summary="Everything I have here, as one portable JSON document")
    def export(self, principal: Principal, account: AccountService) -> Response[dict[str, Any]]:
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
    )
    def erase(
        self,
        data: PasswordConfirmation,
        principal: Principal,
        account: AccountService,
        settings: Settings,
    ) -> Response[None]:
        account.erase(principal.person_id, data.password)
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, cookies=[session_cookie(settings, None)]
        )
