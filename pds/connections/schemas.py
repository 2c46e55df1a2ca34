"""The person's connections (grants) as the API and the export show them: in plain language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from consent.examples import example_config
from consent.grants import Grant
from consent.purposes import purpose_label
from consent.scopes import ScopeVocabulary

GRANT_EXAMPLE = {
    "id": "633d13bc-3cc4-4d4b-b358-11ff0eab39fe",
    "organisation": {"id": "df547580-a34f-4326-997c-5c476a9e0a2b", "name": "Asha Community Health"},
    "client_id": "pds_I5tmT7W4FRcLU3q7NqUwwg",
    "scopes": [
        {
            "scope": "contact.phone:read",
            "record_type": "contact.phone",
            "action": "read",
            "label": "See your phone numbers",
        }
    ],
    "purpose": {"id": "dpv:ServiceProvision", "label": "to provide you with a service"},
    "state": "active",
    "created_at": "2026-11-23T19:54:02.320031Z",
    "updated_at": "2026-11-23T19:54:02.320031Z",
    "expires_at": "2027-02-21T19:54:02.320031Z",
    "last_access_at": None,
    "revoked_at": None,
    "revoked_by": None,
}


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
    model_config = example_config(GRANT_EXAMPLE)

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
    model_config = example_config({"items": [GRANT_EXAMPLE]})

    items: list[GrantOut]


class GrantNarrowing(BaseModel):
    """Fewer items and/or an earlier end; anything wider is refused with 422."""

    model_config = example_config({"scopes": ["contact.phone:read"]}, extra="forbid")

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
