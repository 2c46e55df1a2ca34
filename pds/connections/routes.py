"""The person's connections API: which organisations may access what, and taking it back."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from consent.grant_service import GrantService, InvalidDuration
from consent.grants import GrantNotActive, GrantNotFound, WideningRefused
from consent.scopes import InvalidScope, ScopeSet, ScopeVocabulary
from pds.connections.schemas import GrantList, GrantNarrowing, GrantOut, grant_summary
from pds.contract import (
    AUDITED,
    INVALID_REQUEST,
    JSON_BODY_ERRORS,
    PERSON_ERRORS,
    PERSON_WRITE_ERRORS,
    SESSION,
    documented,
    domain,
    errors,
    link_to,
)
from pds.people.auth import PERSON_ONLY
from pds.people.service import Principal

GrantId = Annotated[str, FromPath, Parameter(max_length=64, description="grant id")]
_FIRST = "$response.body#/items/0/id"
_LISTED = documented(
    links={
        "ReadConnection": link_to("ApiV1MeGrantsGrantIdGetGrant", "The first one", grant_id=_FIRST),
        "NarrowConnection": link_to(
            "ApiV1MeGrantsGrantIdNarrowGrant", "Narrow the first one", grant_id=_FIRST
        ),
        "RevokeConnection": link_to(
            "ApiV1MeGrantsGrantIdRevokeGrant", "Revoke the first one", grant_id=_FIRST
        ),
    }
)


class MyConnectionsController(Controller):
    path = "/api/v1/me/grants"
    tags = ["connections"]
    security = SESSION
    dependencies = PERSON_ONLY

    @get(
        "/",
        summary="My connections: who may access what, why, and until when",
        description="Ended connections (revoked or expired) stay listed with their state.",
        responses=errors(PERSON_ERRORS),
        operation_class=_LISTED,
        sync_to_thread=True,
    )
    def list_grants(
        self,
        principal: NamedDependency[Principal],
        grants: NamedDependency[GrantService],
        vocabulary: NamedDependency[ScopeVocabulary],
    ) -> GrantList:
        items = grants.list_for_person(principal.person_id)
        return GrantList(
            items=[GrantOut.model_validate(grant_summary(vocabulary, g)) for g in items]
        )

    @get(
        "/{grant_id:str}",
        summary="One connection",
        responses=errors(PERSON_ERRORS, INVALID_REQUEST, domain(GrantNotFound)),
        sync_to_thread=True,
    )
    def get_grant(
        self,
        grant_id: GrantId,
        principal: NamedDependency[Principal],
        grants: NamedDependency[GrantService],
        vocabulary: NamedDependency[ScopeVocabulary],
    ) -> GrantOut:
        grant = grants.get_for_person(principal.person_id, grant_id)
        return GrantOut.model_validate(grant_summary(vocabulary, grant))

    @patch(
        "/{grant_id:str}",
        summary="Narrow a connection: fewer items or an earlier end (never wider)",
        description="The organisation is notified with a signed receipt.",
        responses=errors(
            PERSON_WRITE_ERRORS,
            JSON_BODY_ERRORS,
            domain(GrantNotFound, GrantNotActive, WideningRefused, InvalidDuration, InvalidScope),
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def narrow_grant(
        self,
        grant_id: GrantId,
        data: JSONBody[GrantNarrowing],
        principal: NamedDependency[Principal],
        grants: NamedDependency[GrantService],
        vocabulary: NamedDependency[ScopeVocabulary],
    ) -> GrantOut:
        scopes: ScopeSet | None = None
        if data.scopes is not None:
            scopes = vocabulary.parse(" ".join(data.scopes))
        grant = grants.narrow(
            principal.person_id, grant_id, scopes=scopes, expires_at=data.expires_at
        )
        return GrantOut.model_validate(grant_summary(vocabulary, grant))

    @delete(
        "/{grant_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Revoke a connection: its tokens stop working at once",
        description="The connection stays listed, as revoked; the organisation is notified.",
        responses=errors(
            PERSON_WRITE_ERRORS, INVALID_REQUEST, domain(GrantNotFound, GrantNotActive), AUDITED
        ),
        sync_to_thread=True,
    )
    def revoke_grant(
        self,
        grant_id: GrantId,
        principal: NamedDependency[Principal],
        grants: NamedDependency[GrantService],
    ) -> None:
        grants.revoke(principal.person_id, grant_id)
