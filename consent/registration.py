"""Initial access tokens for RFC 7591 dynamic client registration (`pds org registration-token`).

An administrator hands one token to one NGO; it registers one client and is then spent. Tokens
are stored hashed and expire; a spent or expired token is refused like an unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    insert,
    select,
    update,
)

from consent.storage import Timestamp, id_column_type, metadata, utcnow
from crypto.lookup import random_token, token_hash

DEFAULT_TTL = timedelta(days=7)

registration_tokens = Table(
    "registration_tokens",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    # If set, clients registered with the token belong to this organisation.
    Column("organisation_id", id_column_type(), ForeignKey("organisations.id"), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
    Column("client_id", String(64), nullable=True),
)


@dataclass(frozen=True)
class RegistrationToken:
    token_hash: bytes
    organisation_id: str | None
    expires_at: datetime


def issue_registration_token(
    conn: Connection, *, organisation_id: str | None = None, ttl: timedelta = DEFAULT_TTL
) -> tuple[str, datetime]:
    """A new single-use initial access token; returns it (shown once) and its expiry."""
    token = random_token(32)
    now = utcnow()
    conn.execute(
        insert(registration_tokens).values(
            token_hash=token_hash(token),
            organisation_id=organisation_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token, now + ttl


def find_registration_token(conn: Connection, token: str) -> RegistrationToken | None:
    """The token if it is known, unspent and unexpired."""
    row = conn.execute(
        select(registration_tokens).where(
            registration_tokens.c.token_hash == token_hash(token),
            registration_tokens.c.used_at.is_(None),
            registration_tokens.c.expires_at > utcnow(),
        )
    ).first()
    if row is None:
        return None
    return RegistrationToken(bytes(row.token_hash), row.organisation_id, row.expires_at)


def spend_registration_token(conn: Connection, token: RegistrationToken, client_id: str) -> bool:
    """Mark the token used by `client_id`; False if a concurrent registration spent it first."""
    result = conn.execute(
        update(registration_tokens)
        .where(
            registration_tokens.c.token_hash == token.token_hash,
            registration_tokens.c.used_at.is_(None),
        )
        .values(used_at=utcnow(), client_id=client_id)
    )
    return result.rowcount == 1
