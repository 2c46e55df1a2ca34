"""The audit log's Merkle tree as stored: roots and proofs in O(log n) reads, at any size.

Entries carry their leaf hashes. `audit_nodes` keeps every perfect-subtree hash at levels 8, 16,
24… ("tiles", stored in the transaction that appends the last entry below them), so a subtree of
any size is at most 255 stored hashes away, a checkpoint hashes at most 255 leaves, and proofs for
a million-entry log read a few thousand bytes. After pruning, the tiles and a few kept lower nodes
stand in for the deleted leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, insert, select

from consent.audit.models import audit_entries, audit_nodes, audit_state
from consent.prepared import DriverStatement
from crypto.merkle import (
    EMPTY_ROOT,
    consistency_proof_from,
    inclusion_proof_from,
    node_hash,
    root_from_leaf_hashes,
)

TILE_LEVELS = 8  # tiles sit at every 8th level: 256 nodes below make one tile node
TILE_WIDTH = 1 << TILE_LEVELS

# Run on the driver cursor (consent.prepared): a checkpoint and a proof read a few dozen of them.
_LEAVES = DriverStatement(
    select(audit_entries.c.leaf_hash)
    .where(audit_entries.c.seq > bindparam("lo"), audit_entries.c.seq <= bindparam("hi"))
    .order_by(audit_entries.c.seq)
)
_NODES = DriverStatement(
    select(audit_nodes.c.idx, audit_nodes.c.hash)
    .where(
        audit_nodes.c.level == bindparam("level"),
        audit_nodes.c.idx >= bindparam("lo"),
        audit_nodes.c.idx < bindparam("hi"),
    )
    .order_by(audit_nodes.c.idx)
)
_HORIZON = DriverStatement(select(audit_state.c.horizon).where(audit_state.c.id == 1))


class ProofUnavailable(LookupError):
    """The proof needs leaves that were pruned or do not exist yet."""


@dataclass(frozen=True)
class Piece:
    """A perfect subtree: leaves [idx << level, (idx + 1) << level)."""

    level: int
    idx: int

    @property
    def start(self) -> int:
        return self.idx << self.level

    @property
    def end(self) -> int:
        return (self.idx + 1) << self.level


def pieces(start: int, end: int) -> Iterator[Piece]:
    """The largest aligned perfect subtrees covering [start, end), left to right."""
    pos = start
    while pos < end:
        size = pos & -pos if pos else 1 << (end - 1).bit_length()
        while pos + size > end:
            size >>= 1
        level = size.bit_length() - 1
        yield Piece(level, pos >> level)
        pos += size


def horizon(conn: Connection) -> int:
    """Entries with seq up to this were pruned (0: none)."""
    row = _HORIZON.first(conn)
    return int(row[0] or 0) if row is not None else 0


class NodeStore:
    """Subtree hashes of the stored log, read through one connection, memoised per instance."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.horizon = horizon(conn)
        self._memo: dict[Piece, bytes] = {}

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes of leaves [start, end) (entries start+1 … end)."""
        rows = _LEAVES.all(self.conn, lo=start, hi=end)
        if len(rows) != end - start:
            raise ProofUnavailable(f"leaves {start}..{end} are not all stored")
        return [bytes(leaf) for (leaf,) in rows]

    def _stored(self, level: int, lo: int, hi: int) -> dict[int, bytes]:
        rows = _NODES.all(self.conn, level=level, lo=lo, hi=hi)
        return {int(idx): bytes(node) for idx, node in rows}

    def _children(self, level: int, first: int, count: int) -> list[bytes]:
        """Hashes of `count` consecutive nodes at a tile level (0 = leaves)."""
        if level == 0 and first >= self.horizon:
            return self.leaf_hashes(first, first + count)
        found = self._stored(level, first, first + count)
        return [
            found[idx] if idx in found else self.perfect(Piece(level, idx))
            for idx in range(first, first + count)
        ]

    def perfect(self, piece: Piece) -> bytes:
        """MTH of a perfect subtree, from the nearest stored level below it."""
        if piece in self._memo:
            return self._memo[piece]
        # Below the horizon only tiles and the low nodes kept at pruning remain; higher nodes are
        # computed from the tiles.
        pruned = piece.end <= self.horizon and piece.level < TILE_LEVELS
        value: bytes | None = None
        if pruned or (piece.level and piece.level % TILE_LEVELS == 0):
            value = self._stored(piece.level, piece.idx, piece.idx + 1).get(piece.idx)
            if value is None and pruned:
                raise ProofUnavailable(f"subtree {piece} was pruned")
        if value is None and piece.level == 0:
            value = self.leaf_hashes(piece.start, piece.end)[0]
        elif value is None:
            # A tile node is 256 nodes one tile level down; any other node a power-of-two run
            # of nodes at the tile level below it.
            below = (piece.level - 1) // TILE_LEVELS * TILE_LEVELS
            span = piece.level - below
            value = root_from_leaf_hashes(self._children(below, piece.idx << span, 1 << span))
        self._memo[piece] = value
        return value

    def range_root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range aligned the way RFC 9162 proofs ask for."""
        hashes = [self.perfect(piece) for piece in pieces(start, end)]
        if not hashes:
            return EMPTY_ROOT
        root = hashes[-1]
        for left in reversed(hashes[:-1]):
            root = node_hash(left, root)
        return root

    def root(self, size: int) -> bytes:
        return self.range_root(0, size)

    def frontier(self, size: int) -> list[bytes]:
        """crypto.merkle.TreeBuilder state at `size`."""
        return [self.perfect(piece) for piece in pieces(0, size)]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof_from(index, size, self.range_root)

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        return consistency_proof_from(old_size, size, self.range_root)


_MAX_TILE = DriverStatement(
    select(func.max(audit_nodes.c.idx)).where(audit_nodes.c.level == bindparam("level"))
)


def _last_tile(conn: Connection, level: int) -> int | None:
    row = _MAX_TILE.first(conn, level=level)
    return None if row is None or row[0] is None else int(row[0])


def fill_tiles(conn: Connection, size: int) -> None:
    """Store every tile node that the first `size` leaves complete and that is not stored yet.

    Tiles are a cache of what the leaves hash to: where leaves are missing (a damaged store) the
    tiles stop there rather than fail the append that asked for them.
    """
    store = NodeStore(conn)
    level = TILE_LEVELS
    while size >> level:
        have = _last_tile(conn, level)
        first = 0 if have is None else have + 1
        rows = []
        for idx in range(first, size >> level):
            try:
                rows.append({"level": level, "idx": idx, "hash": store.perfect(Piece(level, idx))})
            except ProofUnavailable:
                break
        if rows:
            conn.execute(insert(audit_nodes), rows)
        level += TILE_LEVELS


_INSERT_NODE = DriverStatement(insert(audit_nodes))


def store_completed_tile(conn: Connection, size: int) -> None:
    """Store the tile that entry `size` (a multiple of 256) completes, as fill_tiles would.

    The append path's version: two indexed reads and an insert on the driver cursor, where
    fill_tiles' general bookkeeping cost ~1.5 ms of statement machinery in the request that hit
    the boundary. Anything unusual (an earlier tile missing, a tile a level up complete too) is
    left to fill_tiles.
    """
    idx = size // TILE_WIDTH - 1
    have = _last_tile(conn, TILE_LEVELS)
    if have is not None and have >= idx:
        return
    if have != (idx - 1 if idx else None) or size % (TILE_WIDTH * TILE_WIDTH) == 0:
        fill_tiles(conn, size)
        return
    leaves = [bytes(leaf) for (leaf,) in _LEAVES.all(conn, lo=size - TILE_WIDTH, hi=size)]
    if len(leaves) == TILE_WIDTH:  # else leaves are missing (a damaged store): no tile
        _INSERT_NODE.execute(conn, level=TILE_LEVELS, idx=idx, hash=root_from_leaf_hashes(leaves))
