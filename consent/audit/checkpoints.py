"""Signed checkpoints: publish one for the log as it stands, find the latest, serialise writers.

Every change to the log's tree state (an append, a checkpoint, pruning) happens under one lock:
on PostgreSQL a transaction-scoped advisory lock, released at commit; on SQLite the database's
single writer (`BEGIN IMMEDIATE`) already is that lock. Under it, "the next seq is MAX(seq) + 1"
is gapless even with many writers, because a rolled-back transaction frees its number for the
next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Row, bindparam, func, insert, select, text

from consent.audit.models import audit_checkpoints, audit_entries, audit_state
from consent.audit.note import checkpoint_body, sign_note, verifier_key
from consent.audit.tree import NodeStore, ProofUnavailable, fill_tiles
from consent.prepared import DriverStatement
from crypto.merkle import TreeBuilder
from crypto.signing import SigningKey

log = structlog.get_logger("consent.audit")

HASH_SIZE = 32
# Any constant works; this one spells "pdsaudit" in ASCII.
_LOCK_KEY = 0x7064736175646974
# Both run on every audited action: compiled once, run on the driver cursor.
_PG_LOCK = DriverStatement(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_LOCK_KEY))
# A group commit on PostgreSQL releases its locks before the WAL flush (pds.group_commit); one
# that signs a checkpoint waits for it, so no one can read a signed checkpoint a crash could undo.
_FLUSH_AT_COMMIT = DriverStatement(text("SELECT set_config('synchronous_commit', 'on', true)"))
_SIZE = DriverStatement(
    select(
        func.coalesce(
            func.max(audit_entries.c.seq),
            select(audit_state.c.horizon).where(audit_state.c.id == 1).scalar_subquery(),
            0,
        )
    )
)
_LATEST = select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size.desc()).limit(1)
_ORIGIN = (
    select(audit_checkpoints.c.key_name).order_by(audit_checkpoints.c.tree_size.desc()).limit(1)
)
_AT_MOST = (
    select(audit_checkpoints)
    .where(audit_checkpoints.c.tree_size <= bindparam("size"))
    .order_by(audit_checkpoints.c.tree_size.desc())
    .limit(1)
)


class OriginMismatch(Exception):
    """The log's checkpoints are signed under another origin than this signer's: never fork it."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"the audit log's checkpoints are signed as {stored}, but this process would sign "
            f"them as {configured}: refusing to sign a checkpoint of another log"
        )
        self.stored = stored
        self.configured = configured


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    root: bytes
    created_at: datetime
    note: str
    key_name: str
    public_key: bytes
    frontier: tuple[bytes, ...]

    @property
    def verifier_key(self) -> str:
        return str(verifier_key(self.key_name, self.public_key))


def lock_log(conn: Connection) -> None:
    """Take the log's writer lock for the rest of this transaction."""
    if conn.dialect.name == "postgresql":
        _PG_LOCK.first(conn)


def log_size(conn: Connection) -> int:
    """The number of entries ever appended (pruned ones included)."""
    row = _SIZE.first(conn)
    assert row is not None  # an aggregate always answers one row
    return int(row[0])


def _from_row(row: Row[Any]) -> StoredCheckpoint:
    frontier = bytes(row.frontier)
    return StoredCheckpoint(
        tree_size=int(row.tree_size),
        root=bytes(row.root),
        created_at=row.created_at,
        note=row.note,
        key_name=row.key_name,
        public_key=bytes(row.public_key),
        frontier=tuple(frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)),
    )


def latest_checkpoint(conn: Connection, *, at_most: int | None = None) -> StoredCheckpoint | None:
    row = conn.execute(_LATEST if at_most is None else _AT_MOST, {"size": at_most}).first()
    return None if row is None else _from_row(row)


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    row = conn.execute(
        select(audit_checkpoints).where(audit_checkpoints.c.tree_size == size)
    ).first()
    return None if row is None else _from_row(row)


def checkpoints_between(conn: Connection, low: int, high: int) -> list[StoredCheckpoint]:
    """Checkpoints with low < tree_size <= high, oldest first."""
    rows = conn.execute(
        select(audit_checkpoints)
        .where(audit_checkpoints.c.tree_size > low, audit_checkpoints.c.tree_size <= high)
        .order_by(audit_checkpoints.c.tree_size)
    )
    return [_from_row(row) for row in rows]


def stored_origin(conn: Connection) -> str | None:
    """The origin the log is signed under (its latest checkpoint's); None before the first."""
    return conn.execute(_ORIGIN).scalar_one_or_none()


@dataclass(frozen=True)
class CheckpointSigner:
    """What signs checkpoints: the log's origin (also the key name) and the current key.

    The origin is fixed by the first checkpoint: a signer configured with another one refuses.
    """

    origin: str
    key: Callable[[], SigningKey]

    def check_origin(self, conn: Connection) -> None:
        """Raise OriginMismatch if the stored log is signed under another origin."""
        stored = stored_origin(conn)
        if stored is not None and stored != self.origin:
            raise OriginMismatch(stored, self.origin)


def publish(
    conn: Connection, signer: CheckpointSigner, size: int, now: datetime
) -> StoredCheckpoint:
    """Sign and store a checkpoint at `size` (the caller holds the log lock); idempotent.

    Raises OriginMismatch, storing nothing, if the log is signed under another origin.
    """
    previous = latest_checkpoint(conn, at_most=size)
    if previous is not None and previous.key_name != signer.origin:
        raise OriginMismatch(previous.key_name, signer.origin)
    if previous is not None and previous.tree_size == size:
        return previous
    # Tiles first: then the root is a few stored subtree hashes plus at most 255 leaves, not a
    # re-hash of everything since the previous checkpoint (a stall of the request that hit N).
    fill_tiles(conn, size)
    store = NodeStore(conn)
    builder = _from_tiles(store, size, previous)
    if builder is None:
        # The stored log no longer matches what was signed (or leaves are missing): never sign
        # a fork of it. The previous checkpoint vouches for its part, so extend that instead;
        # verification and proofs will show the damage.
        signed = previous.tree_size if previous else None
        log.error("audit_store_disagrees_with_checkpoint", checkpoint=signed, size=size)
        builder = TreeBuilder(previous.tree_size, previous.frontier) if previous else TreeBuilder()
        for leaf in store.leaf_hashes(builder.size, size):
            builder.append(leaf)
    root = builder.root()
    if conn.dialect.name == "postgresql":
        _FLUSH_AT_COMMIT.first(conn)
    key = signer.key()
    note = sign_note(checkpoint_body(signer.origin, size, root, now), signer.origin, key)
    checkpoint = StoredCheckpoint(
        size, root, now, note, signer.origin, key.public_key_bytes(), builder.frontier
    )
    conn.execute(
        insert(audit_checkpoints).values(
            tree_size=size,
            root=root,
            created_at=now,
            note=note,
            key_name=signer.origin,
            public_key=checkpoint.public_key,
            frontier=b"".join(builder.frontier),
        )
    )
    return checkpoint


def _from_tiles(
    store: NodeStore, size: int, previous: StoredCheckpoint | None
) -> TreeBuilder | None:
    """The tree at `size` from stored tiles and leaves, if it extends `previous` (None if not)."""
    try:
        builder = TreeBuilder(size, store.frontier(size))
        if previous is not None and store.root(previous.tree_size) != previous.root:
            return None
    except ProofUnavailable:
        return None
    return builder


def publish_current(conn: Connection, signer: CheckpointSigner, now: datetime) -> StoredCheckpoint:
    """A checkpoint of the whole log as it stands: the latest one if nothing was added since."""
    lock_log(conn)
    return publish(conn, signer, log_size(conn), now)


def publish_if_due(
    conn: Connection,
    signer: CheckpointSigner,
    now: datetime,
    *,
    every_entries: int,
    every_seconds: float,
) -> StoredCheckpoint | None:
    """Publish if N entries or T seconds have gone by with entries unsigned; None if not due."""
    lock_log(conn)
    size = log_size(conn)
    latest = latest_checkpoint(conn)
    signed = latest.tree_size if latest else 0
    if size <= signed:
        return None
    age = None if latest is None else (now - latest.created_at).total_seconds()
    if size - signed < every_entries and age is not None and age < every_seconds:
        return None
    return publish(conn, signer, size, now)
