"""Authorization codes and access/refresh tokens: stored only as SHA-256 hashes, never deleted.

Every token belongs to a grant and to a *family*: the authorization code it descends from. A
refresh rotates the token within its family, so "revoke everything this code issued" (code reuse)
and "revoke everything this refresh token led to" (refresh replay) are one indexed UPDATE.
Revoked and rotated tokens are kept (marked), so a token string can never be re-issued to someone
else and replays are recognised as replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    bindparam,
    insert,
    update,
)

from consent.storage import Timestamp, id_column_type, metadata, new_id
from crypto.lookup import token_hash

oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("code_hash", LargeBinary(32), nullable=False, unique=True),
    Column("client_id", String(64), ForeignKey("oauth_clients.client_id"), nullable=False),
    Column("grant_id", id_column_type(), ForeignKey("grants.id"), nullable=False, index=True),
    Column("person_id", id_column_type(), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", Text, nullable=False),
    # Set when the purpose came as RFC 9396 authorization_details: the token response echoes it.
    Column("authorization_details", Text, nullable=True),
    Column("code_challenge", String(128), nullable=False),
    Column("code_challenge_method", String(8), nullable=False),
    Column("issued_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
)

oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("grant_id", id_column_type(), ForeignKey("grants.id"), nullable=False, index=True),
    Column("family_id", id_column_type(), nullable=False, index=True),
    Column("client_id", String(64), ForeignKey("oauth_clients.client_id"), nullable=False),
    Column("person_id", id_column_type(), nullable=False),
    # The access token's scopes: the refresh request's `scope` may narrow them below the refresh
    # token's (RFC 6749 §6), which is why the refresh token keeps its own.
    Column("scope", Text, nullable=False),
    # The refresh token's scopes, NULL when the row has no refresh token. RFC 6749 §6: a rotated
    # refresh token has exactly the scopes of the one it replaces, whatever the access token got.
    Column("refresh_scope", Text, nullable=True),
    Column("access_hash", LargeBinary(32), nullable=False, unique=True),
    Column("refresh_hash", LargeBinary(32), nullable=True, unique=True),
    Column("issued_at", Timestamp, nullable=False),
    Column("access_expires_at", Timestamp, nullable=False),
    # When the refresh token was exchanged for a new pair: presenting it again is a replay.
    Column("rotated_at", Timestamp, nullable=True),
    Column("revoked_at", Timestamp, nullable=True),
    Index("ix_oauth_tokens_client_id", "client_id"),
)


@dataclass(frozen=True)
class NewCode:
    client_id: str
    grant_id: str
    person_id: str
    redirect_uri: str
    scope: str
    authorization_details: str | None
    code_challenge: str
    code_challenge_method: str
    issued_at: datetime
    expires_at: datetime


def save_code(conn: Connection, code: str, new: NewCode) -> str:
    """Store an authorization code (its hash); returns the code's id, the family of its tokens."""
    code_id = new_id()
    conn.execute(
        insert(oauth_codes).values(
            id=code_id,
            code_hash=token_hash(code),
            client_id=new.client_id,
            grant_id=new.grant_id,
            person_id=new.person_id,
            redirect_uri=new.redirect_uri,
            scope=new.scope,
            authorization_details=new.authorization_details,
            code_challenge=new.code_challenge,
            code_challenge_method=new.code_challenge_method,
            issued_at=new.issued_at,
            expires_at=new.expires_at,
        )
    )
    return code_id


def consume_code(conn: Connection, code_id: str, now: datetime) -> bool:
    """Mark the code used; True for exactly one caller, however many race (atomic UPDATE)."""
    result = conn.execute(
        update(oauth_codes)
        .where(oauth_codes.c.id == code_id, oauth_codes.c.used_at.is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class NewTokens:
    grant_id: str
    family_id: str
    client_id: str
    person_id: str
    scope: str  # the access token's
    access_token: str
    refresh_token: str | None
    issued_at: datetime
    access_expires_at: datetime
    # The refresh token's scopes when they differ from the access token's (a narrowed refresh).
    refresh_scope: str | None = None


# The token endpoint's statements, built once so SQLAlchemy compiles each once (every refresh
# runs both).
_SAVE_TOKENS = insert(oauth_tokens)
_NOW = bindparam("now", type_=Timestamp())
_ROTATE = (
    update(oauth_tokens)
    .where(
        oauth_tokens.c.id == bindparam("token_id"),
        oauth_tokens.c.rotated_at.is_(None),
        oauth_tokens.c.revoked_at.is_(None),
    )
    .values(rotated_at=_NOW, revoked_at=_NOW)
)


def save_tokens(conn: Connection, new: NewTokens) -> str:
    token_id = new_id()
    conn.execute(
        _SAVE_TOKENS,
        {
            "id": token_id,
            "grant_id": new.grant_id,
            "family_id": new.family_id,
            "client_id": new.client_id,
            "person_id": new.person_id,
            "scope": new.scope,
            "refresh_scope": None
            if new.refresh_token is None
            else (new.refresh_scope or new.scope),
            "access_hash": token_hash(new.access_token),
            "refresh_hash": None if new.refresh_token is None else token_hash(new.refresh_token),
            "issued_at": new.issued_at,
            "access_expires_at": new.access_expires_at,
        },
    )
    return token_id


def rotate_refresh(conn: Connection, token_id: str, now: datetime) -> bool:
    """Retire a refresh token as it is exchanged; True for exactly one of racing callers.

    The pair's access token is revoked with it: the client has just received a new one.
    """
    result = conn.execute(_ROTATE, {"token_id": token_id, "now": now})
    return result.rowcount == 1


def revoke_token(conn: Connection, token_id: str, now: datetime) -> None:
    conn.execute(
        update(oauth_tokens)
        .where(oauth_tokens.c.id == token_id, oauth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_family(conn: Connection, family_id: str, now: datetime) -> int:
    """Revoke every token descended from one authorization code."""
    result = conn.execute(
        update(oauth_tokens)
        .where(oauth_tokens.c.family_id == family_id, oauth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def revoke_grant_tokens(conn: Connection, grant_id: str, now: datetime) -> int:
    """Revoke every token of a grant (called inside the grant's own revoking transaction)."""
    result = conn.execute(
        update(oauth_tokens)
        .where(oauth_tokens.c.grant_id == grant_id, oauth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0
