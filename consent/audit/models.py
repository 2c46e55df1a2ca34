"""Tables of the audit log: entries, signed checkpoints, stored subtree hashes, the horizon."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from consent.storage import Timestamp, id_column_type, metadata

audit_entries = Table(
    "audit_entries",
    metadata,
    # 1, 2, 3, … with no gaps: entry seq is leaf seq - 1 of the Merkle tree.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time", Timestamp, nullable=False),
    # person | organisation | auditor | admin | system
    Column("actor_type", String(16), nullable=False),
    # A pseudonym for people, the OAuth client id for organisations, a name for the system.
    Column("actor_id", String(64), nullable=True),
    Column("organisation_id", id_column_type(), nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    # The person concerned, as an audit pseudonym (never the person id).
    Column("subject", String(64), nullable=True),
    Column("record_types", JSON, nullable=False),
    Column("record_ids", JSON, nullable=False),
    Column("grant_id", id_column_type(), nullable=True),
    Column("purpose", String(100), nullable=True),
    Column("outcome", String(8), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    # Each index is a cost on every audited action: only the filters that must stay fast.
    Index("ix_audit_entries_subject_seq", "subject", "seq"),
    Index("ix_audit_entries_organisation_seq", "organisation_id", "seq"),
    Index("ix_audit_entries_grant_seq", "grant_id", "seq"),
    Index("ix_audit_entries_time", "time"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # The signed note exactly as published.
    Column("note", Text, nullable=False),
    Column("key_name", String(200), nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    # crypto.merkle.TreeBuilder state at tree_size (32-byte hashes, concatenated), so the next
    # checkpoint resumes here instead of re-reading the whole log.
    Column("frontier", LargeBinary, nullable=False),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    # Perfect-subtree hashes: node (level, idx) covers leaves [idx << level, (idx+1) << level).
    # Every node at levels 8, 16, 24… is kept (proofs in O(log n) reads), plus, when old entries
    # are pruned, the few lower nodes that proofs from old checkpoints still need.
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_state = Table(
    "audit_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    # Entries with seq <= horizon were pruned by the retention policy (0: nothing pruned).
    Column("horizon", BigInteger, nullable=False),
    Column("pruned_at", Timestamp, nullable=True),
)
