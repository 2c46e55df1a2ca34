"""Export everything; erase the account."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from pds.account.service import AccountService
from pds.people.routes import session_cookie
from pds.people.schemas import PasswordConfirmation, Profile
from pds.people.service import PeopleService, Principal
from pds.settings import Settings


class MyAccountController(Controller):
    path = "/api/v1/me"
    tags = ["account"]

    @get("/", summary="The signed-in account", sync_to_thread=True)
    def me(
        self, principal: NamedDependency[Principal], people: NamedDependency[PeopleService]
    ) -> Profile:
        return Profile.model_validate(people.profile(principal.person_id))

    @get(
        "/export",
        summary="Everything I have here, as one portable JSON document",
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
