"""Consent and credentials for the load: an NGO, grants approved through the service, tokens.

Grants go through `GrantService.approve` (with whatever hooks the service wires: receipts, audit
entries) and tokens through `consent.tokens.save_tokens`, so they are stored, hashed and checked
exactly like tokens from the token endpoint. Access tokens live ten minutes, so each scenario
gets fresh ones right before it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from consent.grant_service import ConsentRequest
from consent.oauth.server import ACCESS_TOKEN_TTL
from consent.organisations import create_organisation, register_client
from consent.scopes import ScopeSet
from consent.storage import new_id, utcnow
from consent.tokens import NewTokens, save_tokens
from crypto.lookup import random_token
from pds.app import Services
from pds.db import Database

PURPOSE = "dpv:ServiceProvision"
SCOPES = ScopeSet.parse(
    "household.members:read identity.name:read contact.phone:read health.immunisations:read"
)
BATCH = 500


@dataclass(frozen=True)
class Client:
    organisation_id: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class GrantRef:
    grant_id: str
    person_id: str


@dataclass(frozen=True)
class TokenPair:
    grant: GrantRef
    access_token: str
    refresh_token: str


def register_ngo(db: Database, name: str = "Bench NGO network") -> Client:
    with db.write() as conn:
        organisation_id = create_organisation(conn, name=name, website="https://ngo.example.org")
        issued = register_client(
            conn,
            organisation_id=organisation_id,
            client_name="Bench field app",
            redirect_uris=["https://ngo.example.org/callback"],
            allowed_scopes=sorted(str(scope) for scope in SCOPES),
            public=False,
        )
    assert issued.client_secret is not None
    return Client(organisation_id, issued.client_id, issued.client_secret)


def approve_grants(services: Services, client: Client, person_ids: Sequence[str]) -> list[GrantRef]:
    """The person's approval on the consent screen, as the service records it."""
    grants = []
    for person_id in person_ids:
        request = ConsentRequest(
            person_id, client.organisation_id, client.client_id, SCOPES, PURPOSE
        )
        grant = services.consent.grants.approve(request, SCOPES, timedelta(days=90))
        grants.append(GrantRef(grant.id, person_id))
    return grants


def issue_tokens(
    db: Database, client: Client, grants: Sequence[GrantRef], per_grant: int = 1
) -> list[TokenPair]:
    """Fresh access + refresh tokens per grant, stored as the token endpoint stores them."""
    pairs = [
        TokenPair(grant, random_token(32), random_token(32))
        for grant in grants
        for _ in range(per_grant)
    ]
    now = utcnow()
    for start in range(0, len(pairs), BATCH):
        with db.write() as conn:
            for pair in pairs[start : start + BATCH]:
                save_tokens(
                    conn,
                    NewTokens(
                        grant_id=pair.grant.grant_id,
                        family_id=new_id(),  # no authorization code: a family of its own
                        client_id=client.client_id,
                        person_id=pair.grant.person_id,
                        scope=str(SCOPES),
                        access_token=pair.access_token,
                        refresh_token=pair.refresh_token,
                        issued_at=now,
                        access_expires_at=now + ACCESS_TOKEN_TTL,
                    ),
                )
    return pairs
