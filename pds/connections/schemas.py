"""The person's connections (grants) as the API and the export show them: in plain language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consent.grants import Grant
from consent.purposes import purpose_label
from consent.scopes import ScopeVocabulary


class ScopeOut(BaseModel):
    scope: str
    record_type: str
    action: str
    label: str = Field(description="what the organisation may do, in plain language")


class OrganisationOut(BaseModel):
    id: str
    name: str


class PurposeOut(BaseModel):
    id: str = Field(description="a W3C DPV purpose, e.g. dpv:ServiceProvision")
    label: str


class GrantOut(BaseModel):
    id: str
    organisation: OrganisationOut
    client_id: str
    scopes: list[ScopeOut]
    purpose: PurposeOut
    state: str = Field(description="active, expired or revoked")
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    last_access_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None = Field(description="person, organisation or service")


class GrantList(BaseModel):
    items: list[GrantOut]


class GrantNarrowing(BaseModel):
    """Fewer items and/or an earlier end; anything wider is refused with 422."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scopes": ["contact.phone:read"]}]},
    )

    scopes: list[str] | None = Field(
        None, max_length=200, description="the scopes to keep (a subset of the current ones)"
    )
    expires_at: AwareDatetime | None = Field(
        None, description="a new, earlier end (with a time zone)"
    )


def grant_summary(vocabulary: ScopeVocabulary, grant: Grant) -> dict[str, Any]:
    """A grant in plain language (the shape of the connections API and of the export)."""
    return {
        "id": grant.id,
        "organisation": {"id": grant.organisation_id, "name": grant.organisation_name},
        "client_id": grant.client_id,
        "scopes": [
            {
                "scope": str(scope),
                "record_type": scope.record_type,
                "action": scope.action.value,
                "label": vocabulary.label(scope),
            }
            for scope in grant.scopes
        ],
        "purpose": {"id": grant.purpose, "label": purpose_label(grant.purpose)},
        "state": grant.state.value,
        "created_at": grant.created_at,
        "updated_at": grant.updated_at,
        "expires_at": grant.expires_at,
        "last_access_at": grant.last_access_at,
        "revoked_at": grant.revoked_at,
        "revoked_by": None if grant.revoked_by is None else grant.revoked_by.value,
    }
