"""Reading the log: filtered pages with an opaque cursor, and summary counts."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

from consent.audit.models import audit_entries
from consent.organisations import organisations

MAX_PAGE_SIZE = 200
_CURSOR_PREFIX = "seq:"


class InvalidCursor(ValueError):
    """A pagination cursor that this service did not hand out."""


@dataclass(frozen=True)
class EntryFilter:
    """Every field narrows the result; None means "any"."""

    subject: str | None = None
    organisation_id: str | None = None
    client_id: str | None = None
    grant_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    purpose: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: datetime
    actor_type: str
    actor_id: str | None
    organisation_id: str | None
    organisation_name: str | None
    client_id: str | None
    action: str
    subject: str | None
    record_types: tuple[str, ...]
    record_ids: tuple[str, ...]
    grant_id: str | None
    purpose: str | None
    outcome: str
    reason: str | None
    request_id: str | None
    leaf_hash: bytes


@dataclass(frozen=True)
class Page:
    items: list[AuditEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class Summary:
    total: int
    by_organisation: list[tuple[str | None, str | None, int]]
    by_purpose: list[tuple[str | None, int]]
    by_outcome: dict[str, int]


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The seq a cursor continues before; raises InvalidCursor for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise InvalidCursor(cursor) from None
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isascii() or not number.isdigit():
        raise InvalidCursor(cursor)
    if len(number) > 18:  # beyond any seq (a BIGINT): forged
        raise InvalidCursor(cursor)
    return int(number)


def _filtered(query: Select[Any], where: EntryFilter) -> Select[Any]:
    columns = audit_entries.c
    for column, value in (
        (columns.subject, where.subject),
        (columns.organisation_id, where.organisation_id),
        (columns.client_id, where.client_id),
        (columns.grant_id, where.grant_id),
        (columns.action, where.action),
        (columns.outcome, where.outcome),
        (columns.purpose, where.purpose),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(columns.time >= where.since)
    if where.until is not None:
        query = query.where(columns.time < where.until)
    return query


_ENTRY = select(audit_entries, organisations.c.name.label("organisation_name")).outerjoin(
    organisations, organisations.c.id == audit_entries.c.organisation_id
)


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        seq=int(row.seq),
        time=row.time,
        actor_type=row.actor_type,
        actor_id=row.actor_id,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation_name,
        client_id=row.client_id,
        action=row.action,
        subject=row.subject,
        record_types=tuple(row.record_types),
        record_ids=tuple(row.record_ids),
        grant_id=row.grant_id,
        purpose=row.purpose,
        outcome=row.outcome,
        reason=row.reason,
        request_id=row.request_id,
        leaf_hash=bytes(row.leaf_hash),
    )


def list_entries(
    conn: Connection, where: EntryFilter, *, cursor: str | None = None, limit: int = 50
) -> Page:
    """Newest first; `cursor` continues a previous page."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = _filtered(_ENTRY, where)
    if cursor is not None:
        query = query.where(audit_entries.c.seq < decode_cursor(cursor))
    rows = conn.execute(query.order_by(audit_entries.c.seq.desc()).limit(limit + 1)).all()
    items = [_entry(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].seq) if more else None)


def get_entry(conn: Connection, seq: int) -> AuditEntry | None:
    row = conn.execute(_ENTRY.where(audit_entries.c.seq == seq)).first()
    return None if row is None else _entry(row)


def summarise(conn: Connection, where: EntryFilter) -> Summary:
    """Counts by organisation, purpose and outcome."""
    count = func.count().label("n")
    columns = audit_entries.c
    by_org = conn.execute(
        _filtered(
            select(columns.organisation_id, organisations.c.name, count)
            .select_from(audit_entries)
            .outerjoin(organisations, organisations.c.id == columns.organisation_id),
            where,
        )
        .group_by(columns.organisation_id, organisations.c.name)
        .order_by(count.desc())
    ).all()
    by_purpose = conn.execute(
        _filtered(select(columns.purpose, count), where)
        .group_by(columns.purpose)
        .order_by(count.desc())
    ).all()
    by_outcome = conn.execute(
        _filtered(select(columns.outcome, count), where).group_by(columns.outcome)
    ).all()
    return Summary(
        total=sum(int(row.n) for row in by_outcome),
        by_organisation=[(row[0], row[1], int(row.n)) for row in by_org],
        by_purpose=[(row.purpose, int(row.n)) for row in by_purpose],
        by_outcome={row.outcome: int(row.n) for row in by_outcome},
    )
