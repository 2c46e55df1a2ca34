"""Tables of consent receipts, organisations' webhooks and the outbox of notices to deliver."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from consent.storage import Timestamp, id_column_type, metadata

# One row per change of a grant, stored exactly as issued (the signed compact JWS). The chain of a
# grant is ordered by `sequence`; the unique constraint makes two concurrent changes of one grant
# unable to both claim the same place in it.
consent_receipts = Table(
    "consent_receipts",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("grant_id", id_column_type(), ForeignKey("grants.id"), nullable=False),
    Column("sequence", Integer, nullable=False),
    # Opaque, like grants.person_id: kept after an erasure, when it points at nobody.
    Column("person_id", id_column_type(), nullable=False),
    Column("organisation_id", id_column_type(), ForeignKey("organisations.id"), nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("issued_at", Timestamp, nullable=False),
    Column("kid", String(64), nullable=False),
    Column("jws", Text, nullable=False),
    UniqueConstraint("grant_id", "sequence"),
    # Both listings page by (issued_at, id).
    Index("ix_consent_receipts_person_issued", "person_id", "issued_at", "id"),
    Index("ix_consent_receipts_organisation_issued", "organisation_id", "issued_at", "id"),
)

organisation_webhooks = Table(
    "organisation_webhooks",
    metadata,
    Column(
        "organisation_id",
        id_column_type(),
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("url", String(2000), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# A notice is enqueued in the transaction that issues its receipt, so a change that commits always
# has its notice, and a rolled-back change never sends one.
notice_outbox = Table(
    "notice_outbox",
    metadata,
    Column("receipt_id", id_column_type(), ForeignKey("consent_receipts.id"), primary_key=True),
    Column("organisation_id", id_column_type(), ForeignKey("organisations.id"), nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | abandoned
    Column("created_at", Timestamp, nullable=False),
    # For a pending notice: when to try next. A worker that claims it moves this forward by a
    # lease first, so a second worker (another process, or cron) does not send it concurrently.
    Column("next_attempt_at", Timestamp, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("finished_at", Timestamp, nullable=True),
    Index(
        "ix_notice_outbox_due",
        "next_attempt_at",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_notice_outbox_organisation_id", "organisation_id"),
)
