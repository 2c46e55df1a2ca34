"""Why a bearer token was refused, when it is one the service issued (so a person is concerned).

The access check looks tokens up only among the live ones, which is what keeps it one indexed
read. When it refuses, this second lookup (on the failure path only) finds the token whatever its
state, so the refusal can be audited against the person whose data was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from consent.access import MAX_TOKEN_LENGTH
from consent.grants import GrantState, grants
from consent.tokens import oauth_tokens
from crypto.lookup import token_hash

_ANY_STATE = (
    select(
        oauth_tokens.c.person_id,
        oauth_tokens.c.client_id,
        oauth_tokens.c.revoked_at,
        oauth_tokens.c.access_expires_at,
        grants.c.id.label("grant_id"),
        grants.c.organisation_id,
        grants.c.purpose,
        grants.c.state,
        grants.c.expires_at,
    )
    .join(grants, grants.c.id == oauth_tokens.c.grant_id)
    .where(oauth_tokens.c.access_hash == bindparam("digest"))
)


@dataclass(frozen=True)
class Refusal:
    person_id: str
    client_id: str
    organisation_id: str
    grant_id: str
    purpose: str
    reason: str


def explain_refusal(conn: Connection, token: str, now: datetime) -> Refusal | None:
    """The refused token's person and grant, and the reason; None for a token never issued."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    row = conn.execute(_ANY_STATE, {"digest": token_hash(token)}).first()
    if row is None:
        return None
    if row.state != GrantState.ACTIVE.value:
        reason = f"grant_{row.state}"
    elif row.expires_at <= now:
        reason = "grant_expired"
    elif row.revoked_at is not None:
        reason = "token_revoked"
    elif row.access_expires_at <= now:
        reason = "token_expired"
    else:
        reason = "token_invalid"
    return Refusal(
        row.person_id, row.client_id, row.organisation_id, row.grant_id, row.purpose, reason
    )
