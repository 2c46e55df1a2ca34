"""Tables for records: one row per record, one encrypted row per version."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table

from consent.storage import Timestamp, id_column_type, metadata

records = Table(
    "records",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column(
        "person_id", id_column_type(), ForeignKey("people.id", ondelete="CASCADE"), nullable=False
    ),
    Column("type", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_records_person_type", "person_id", "type"),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column(
        "record_id",
        id_column_type(),
        ForeignKey("records.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True),
    # XChaCha20-Poly1305 under the person's data key, bound to (person, record, version, type).
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

# Idempotency-Key entries of record-creating POSTs (see pds/records/idempotency.py).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # Who may replay: the person themself, or one client acting for the person.
    Column("scope", String(200), primary_key=True),
    Column("key_hash", LargeBinary(32), primary_key=True),
    Column(
        "person_id", id_column_type(), ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    Column("fingerprint", LargeBinary(32), nullable=False),
    Column("response_ct", LargeBinary, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)  # fmt: skip
