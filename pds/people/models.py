"""Tables for people, their wrapped data keys and their sign-in sessions."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Table

from consent.storage import Timestamp, id_column_type, metadata

people = Table(
    "people",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    # HMAC of the normalised email under the index key: lookups without storing the address.
    Column("email_index", LargeBinary(32), nullable=False, unique=True),
    # The address itself, encrypted with the person's data key.
    Column("email_ct", LargeBinary, nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("password_changed_at", Timestamp, nullable=False),
    # argon2id of the one-time recovery code; none until the person has one (`pds/people/recovery`).
    Column("recovery_hash", String(200), nullable=True),
)

data_keys = Table(
    "data_keys",
    metadata,
    Column(
        "person_id",
        id_column_type(),
        ForeignKey("people.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kek_id", String(64), nullable=False, index=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    # SHA-256 of the cookie value: a stolen database holds no usable session.
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column(
        "person_id", id_column_type(), ForeignKey("people.id", ondelete="CASCADE"), nullable=False
    ),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Index("ix_sessions_person_id", "person_id"),
)
