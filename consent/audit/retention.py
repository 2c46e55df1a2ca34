"""Retention: delete entries older than the retention period without breaking verification.

Pruning moves the log's horizon forward to a multiple of 256 (a tile boundary) that a checkpoint
already covers, deletes the entries up to it, and keeps hashes instead:
- the tiles (every perfect subtree of 256, 65536, … leaves) stay, so the frontier at the horizon,
  roots and proofs for every later entry can still be computed;
- for every checkpoint in the pruned range, the few lower subtree hashes around its size are kept,
  so a consistency proof from any published checkpoint to today can still be served.
An export then starts at the horizon with the frontier there; a verifier rebuilds from it, and the
signed checkpoints at the end vouch for frontier and entries together. See docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from consent.audit.checkpoints import checkpoints_between, latest_checkpoint, lock_log, log_size
from consent.audit.models import audit_entries, audit_nodes, audit_state
from consent.audit.tree import TILE_LEVELS, TILE_WIDTH, NodeStore, Piece, pieces


def _below_tiles(size: int) -> Iterator[Piece]:
    """Subtrees under tile level next to `size`: its frontier's tail and what follows it."""
    block_end = -(-size // TILE_WIDTH) * TILE_WIDTH
    for piece in (*pieces(0, size), *pieces(size, block_end)):
        if piece.level < TILE_LEVELS:
            yield piece


def prune(conn: Connection, cutoff: datetime, now: datetime) -> int:
    """Delete entries older than `cutoff` as far as it is safe; return how many went."""
    lock_log(conn)
    store = NodeStore(conn)
    latest = latest_checkpoint(conn)
    if latest is None:
        return 0
    first_kept = conn.execute(
        select(func.min(audit_entries.c.seq)).where(audit_entries.c.time >= cutoff)
    ).scalar_one_or_none()
    limit = min(latest.tree_size, log_size(conn) if first_kept is None else int(first_kept) - 1)
    horizon = limit // TILE_WIDTH * TILE_WIDTH
    if horizon <= store.horizon:
        return 0
    kept: dict[Piece, bytes] = {}
    for checkpoint in checkpoints_between(conn, store.horizon, horizon):
        for piece in _below_tiles(checkpoint.tree_size):
            kept[piece] = store.perfect(piece)
    if kept:
        existing = {
            (int(row.level), int(row.idx))
            for row in conn.execute(
                select(audit_nodes.c.level, audit_nodes.c.idx).where(
                    audit_nodes.c.level < TILE_LEVELS
                )
            )
        }
        rows = [
            {"level": p.level, "idx": p.idx, "hash": h}
            for p, h in kept.items()
            if (p.level, p.idx) not in existing
        ]
        if rows:
            conn.execute(insert(audit_nodes), rows)
    result = conn.execute(delete(audit_entries).where(audit_entries.c.seq <= horizon))
    _set_horizon(conn, horizon, now)
    return result.rowcount or 0


def _set_horizon(conn: Connection, horizon: int, now: datetime) -> None:
    changed = conn.execute(
        update(audit_state).where(audit_state.c.id == 1).values(horizon=horizon, pruned_at=now)
    )
    if not changed.rowcount:
        conn.execute(insert(audit_state).values(id=1, horizon=horizon, pruned_at=now))
