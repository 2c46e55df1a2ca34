"""Appending to the audit log, in the caller's transaction.

`AuditLog.append(conn, event)` inside the transaction of the action it records: the action and its
entry commit together or not at all, and if the entry cannot be written the action fails. Entries
name people only by audit pseudonym; they carry ids, types, purposes and outcomes, never a
personal-data value, a token or a password.

Inside `AuditLog.deferring(conn)` (what PostgreSQL's group commit uses) appends wait in memory and
are written together when the block ends, still inside the transaction: the log's lock is then
held for those inserts and the commit only, not for everything else the transaction does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.exc import DBAPIError, OperationalError

from consent.audit.checkpoints import CheckpointSigner, lock_log, log_size, publish
from consent.audit.encoding import check_entry, entry_leaf_hash
from consent.audit.models import audit_entries
from consent.audit.tree import TILE_WIDTH, store_completed_tile
from consent.prepared import DriverStatement
from consent.storage import to_micros, utcnow


class ActorType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SYSTEM = "system"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class AuditUnavailable(Exception):
    """The entry could not be written, so the action it records was not carried out."""


@dataclass(frozen=True)
class AuditEvent:
    """What happened, before it has a place in the log."""

    action: str
    actor_type: ActorType
    actor_id: str | None = None
    subject: str | None = None
    organisation_id: str | None = None
    client_id: str | None = None
    record_types: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()
    grant_id: str | None = None
    purpose: str | None = None
    outcome: Outcome = Outcome.ALLOWED
    reason: str | None = None

    def denied(self, reason: str) -> AuditEvent:
        return replace(self, outcome=Outcome.DENIED, reason=reason)


# Every audited action runs this: compiled once, run on the driver cursor with raw values.
_INSERT = DriverStatement(insert(audit_entries))
# conn.info key: the (event, request id) pairs appended inside `AuditLog.deferring`.
_HELD = "consent.audit.held"
Held = tuple[AuditEvent, str | None]


class AuditLog:
    """Appends entries; publishes a signed checkpoint every `checkpoint_every` entries."""

    def __init__(
        self,
        signer: CheckpointSigner,
        *,
        request_id: Callable[[], str | None],
        checkpoint_every: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.signer = signer
        self.request_id = request_id
        self.checkpoint_every = checkpoint_every
        self.clock = clock

    def append(self, conn: Connection, event: AuditEvent) -> None:
        """Append one entry in the caller's (write) transaction."""
        held: list[Held] | None = conn.info.get(_HELD)
        if held is None:
            self._write(conn, [(event, self.request_id())])
            return
        # Checked now, so a malformed event fails its own part, not the whole group at the end.
        check_entry(entry_values(1, self.clock(), event, None))
        held.append((event, self.request_id()))

    @contextmanager
    def deferring(self, conn: Connection) -> Iterator[list[Held]]:
        """Hold appends back inside; write them in order when the block ends without error.

        The caller may truncate the list it is given (a part of a group rolled back).
        """
        held: list[Held] = []
        conn.info[_HELD] = held
        try:
            yield held
        finally:
            # Never leave the marker on a pooled connection: later appends would be lost.
            conn.info.pop(_HELD, None)
        if held:
            self._write(conn, held)

    def _write(self, conn: Connection, entries: list[Held]) -> None:
        try:
            lock_log(conn)
            first = log_size(conn) + 1
            rows: list[dict[str, Any]] = []
            for seq, (event, request_id) in enumerate(entries, start=first):
                now = self.clock()
                values = entry_values(seq, now, event, request_id)
                rows.append({**_row(values), "leaf_hash": entry_leaf_hash(values)})
                # A tile (256 leaves) is hashed as soon as it is complete, so a checkpoint never
                # has more than 255 leaves left to hash. Both read the rows up to seq.
                checkpoint = seq % self.checkpoint_every == 0
                if checkpoint or seq % TILE_WIDTH == 0:
                    _insert(conn, rows)
                    rows = []
                    if checkpoint:
                        publish(conn, self.signer, seq, now)  # fills the tiles first
                    else:
                        store_completed_tile(conn, seq)
            _insert(conn, rows)
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise  # the database is away: the service answers 503 for that already
            raise AuditUnavailable(entries[0][0].action) from exc


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # One row (every append outside a group commit) as a plain execute: psycopg would enter
    # pipeline mode for an executemany of one.
    if len(rows) == 1:
        _INSERT.execute(conn, **rows[0])
    elif rows:
        _INSERT.execute_many(conn, rows)


def _row(values: dict[str, Any]) -> dict[str, Any]:
    # The raw column values: JSON columns as the text SQLAlchemy's JSON type would have written.
    return {
        **values,
        "record_types": json.dumps(values["record_types"]),
        "record_ids": json.dumps(values["record_ids"]),
    }


def entry_values(
    seq: int, now: datetime, event: AuditEvent, request_id: str | None
) -> dict[str, Any]:
    """The entry's fields as consent.audit.encoding defines them."""
    return {
        "seq": seq,
        "time": to_micros(now),
        "actor_type": event.actor_type.value,
        "actor_id": event.actor_id,
        "organisation_id": event.organisation_id,
        "client_id": event.client_id,
        "action": event.action,
        "subject": event.subject,
        "record_types": sorted(set(event.record_types)),
        "record_ids": list(event.record_ids),
        "grant_id": event.grant_id,
        "purpose": event.purpose,
        "outcome": event.outcome.value,
        "reason": event.reason,
        "request_id": request_id,
    }
