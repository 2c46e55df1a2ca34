"""The log as NDJSON, for auditors and for `pds audit verify`.

One JSON object a line:
- a header: format, origin, the signed checkpoint the export ends at, the verifier keys, the tree
  state where the export starts (after pruning, the frontier at the horizon), and on request a
  consistency proof from an earlier tree size to the checkpoint;
- every retained entry up to the checkpoint, oldest first, with its stored leaf hash, and after
  an entry that completes an earlier checkpoint, that checkpoint;
- a trailer with the count and whether the service's own rebuild matched the checkpoint.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import BigInteger, bindparam, select, type_coerce

from consent.audit.checkpoints import StoredCheckpoint, checkpoints_between
from consent.audit.encoding import FIELDS, canonical_entry, entry_line
from consent.audit.models import audit_entries
from consent.audit.note import format_time
from consent.audit.tree import NodeStore
from consent.storage import Transactions, utcnow
from crypto.merkle import TreeBuilder, leaf_hash

EXPORT_FORMAT = "pds-audit-export/1"
BATCH = 2000
log = structlog.get_logger("consent.audit.export")

_COLUMNS = [
    type_coerce(audit_entries.c.time, BigInteger).label("time")  # raw µs, exactly as hashed
    if name == "time"
    else audit_entries.c[name]
    for name in FIELDS
]
_BATCH = (
    select(*_COLUMNS, audit_entries.c.leaf_hash)
    .where(audit_entries.c.seq > bindparam("after"), audit_entries.c.seq <= bindparam("upto"))
    .order_by(audit_entries.c.seq)
    .limit(BATCH)
)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _line(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"


@dataclass
class Export:
    """An export prepared up to its header (so errors surface before streaming starts)."""

    db: Transactions
    checkpoint: StoredCheckpoint
    start_size: int
    start_frontier: list[bytes]
    header: dict[str, Any]
    interim: list[StoredCheckpoint] = field(default_factory=list)

    def chunks(self, lines_per_chunk: int = 1000) -> Iterator[str]:
        """The lines joined in chunks: a web server hands each to a thread once, not per line."""
        chunk: list[str] = []
        for line in self.lines():
            chunk.append(line)
            if len(chunk) >= lines_per_chunk:
                yield "".join(chunk)
                chunk = []
        if chunk:
            yield "".join(chunk)

    def lines(self) -> Iterator[str]:
        yield _line(self.header)
        builder = TreeBuilder(self.start_size, self.start_frontier)
        pending = {cp.tree_size: cp for cp in self.interim}
        problems: list[str] = []
        while builder.size < self.checkpoint.tree_size:
            with self.db.read() as conn:
                rows = conn.execute(
                    _BATCH, {"after": builder.size, "upto": self.checkpoint.tree_size}
                ).all()
            if not rows:
                problems.append(f"entries after {builder.size} are missing")
                break
            for row in rows:
                yield from self._entry(row._asdict(), builder, pending, problems)
        verified = not problems and builder.root() == self.checkpoint.root
        if not verified:
            log.error("audit_export_mismatch", problems=problems[:5])
        yield _line(
            {
                "type": "end",
                "entries": builder.size - self.start_size,
                "tree_size": builder.size,
                "root": _b64(builder.root()),
                "verified": verified,
            }
        )

    def _entry(
        self,
        row: dict[str, Any],
        builder: TreeBuilder,
        pending: dict[int, StoredCheckpoint],
        problems: list[str],
    ) -> Iterator[str]:
        stored = bytes(row.pop("leaf_hash"))
        canonical = _canonical_or_none(row)
        if row["seq"] != builder.size + 1:
            problems.append(f"entry {builder.size + 1} is missing")
        elif canonical is None or leaf_hash(canonical) != stored:
            problems.append(f"entry {row['seq']} does not match its leaf hash")
        builder.append(stored)
        if canonical is None:
            yield _line({"type": "entry", **row, "leaf_hash": _b64(stored)})
        else:
            yield entry_line(_b64(stored), canonical)
        interim = pending.get(builder.size)
        if interim is not None:
            if interim.root != builder.root():
                problems.append(f"checkpoint {interim.tree_size} does not match")
            yield _line({"type": "checkpoint", "note": interim.note})


def _canonical_or_none(row: dict[str, Any]) -> bytes | None:
    # A row edited into the wrong shape is a bad entry to report, not a reason to stop the
    # export (and a ValueError would end a Litestar stream silently).
    try:
        return canonical_entry(row)
    except ValueError:
        return None


def prepare_export(
    db: Transactions, checkpoint: StoredCheckpoint, *, consistency_from: int | None = None
) -> Export:
    """Everything up to the first entry; raises ProofUnavailable for an impossible proof."""
    with db.read() as conn:
        store = NodeStore(conn)
        start = min(store.horizon, checkpoint.tree_size)
        frontier = store.frontier(start)
        interim = checkpoints_between(conn, start, checkpoint.tree_size - 1)
        proof = (
            None
            if consistency_from is None
            else store.consistency_proof(consistency_from, checkpoint.tree_size)
        )
    keys = sorted({cp.verifier_key for cp in [*interim, checkpoint]})
    header: dict[str, Any] = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "origin": checkpoint.key_name,
        "exported_at": format_time(utcnow()),
        "tree_size": checkpoint.tree_size,
        "checkpoint": checkpoint.note,
        "verifier_keys": keys,
        "start": {"size": start, "frontier": [_b64(h) for h in frontier]},
    }
    if proof is not None:
        header["consistency"] = {"from": consistency_from, "proof": [_b64(h) for h in proof]}
    return Export(db, checkpoint, start, frontier, header, interim)
