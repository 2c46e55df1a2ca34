"""Grants: a person's consent to one organisation — scopes, purpose, expiry, state.

The grant is the source of truth for every access decision. Its states are active → expired |
revoked, and nothing else. A person has at most one active grant per organisation (a partial
unique index says so): a new authorization for the same organisation amends that grant, on a
consent screen that shows the difference. Every change goes through `change_grant`, which writes
the new state, revokes the grant's tokens when it ends, and calls the in-transaction hooks
(consent receipts, audit entries) — so a change and its evidence commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Select,
    String,
    Table,
    Text,
    insert,
    literal_column,
    select,
    text,
    update,
)

from consent.organisations import organisations
from consent.scopes import ScopeSet
from consent.storage import Timestamp, id_column_type, metadata
from consent.tokens import revoke_grant_tokens

grants = Table(
    "grants",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    # Opaque: consent knows a person only by id (no foreign key into pds's tables).
    Column("person_id", id_column_type(), nullable=False),
    Column("organisation_id", id_column_type(), ForeignKey("organisations.id"), nullable=False),
    # The client through which the person last approved this grant.
    Column("client_id", String(64), ForeignKey("oauth_clients.client_id"), nullable=False),
    Column("scope", Text, nullable=False),
    Column("purpose", String(100), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp, nullable=True),
    Column("revoked_by", String(16), nullable=True),
    Column("last_access_at", Timestamp, nullable=True),
    Index("ix_grants_person_id", "person_id"),
    Index(
        "uq_grants_one_active_per_organisation",
        "person_id",
        "organisation_id",
        unique=True,
        sqlite_where=text("state = 'active'"),
        postgresql_where=text("state = 'active'"),
    ),
)


class GrantState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


# `state = 'active'` written into the SQL rather than bound: SQLite compares a bound value with
# the partial index's WHERE above and so re-prepares the statement at every execution, which
# cost ~75 µs of the ~100 µs bearer-token lookup on every NGO fetch.
GRANT_IS_ACTIVE = grants.c.state == literal_column(f"'{GrantState.ACTIVE.value}'")


class Actor(StrEnum):
    """Who changed a grant: the person, the organisation, or the service itself (security)."""

    PERSON = "person"
    ORGANISATION = "organisation"
    SERVICE = "service"


class GrantEventKind(StrEnum):
    CREATED = "created"
    AMENDED = "amended"  # a new authorization for the same organisation, approved by the person
    NARROWED = "narrowed"
    REVOKED = "revoked"
    EXPIRED = "expired"
    ERASED = "erased"  # ended because the person erased their account


class GrantNotFound(LookupError):
    """No such grant for this person."""


class GrantNotActive(Exception):
    """The grant has ended (revoked or expired) and can no longer change."""


class WideningRefused(Exception):
    """A change would widen a grant (more scopes, later expiry) without the consent screen."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    id: str
    person_id: str
    organisation_id: str
    organisation_name: str
    client_id: str
    scopes: ScopeSet
    purpose: str
    state: GrantState
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: Actor | None = None
    last_access_at: datetime | None = None


@dataclass(frozen=True)
class GrantEvent:
    kind: GrantEventKind
    grant: Grant
    previous: Grant | None
    actor: Actor
    at: datetime


GrantHook = Callable[[Connection, GrantEvent], None]


def change_grant(conn: Connection, event: GrantEvent, hooks: Sequence[GrantHook]) -> None:
    """The one way a grant changes: store it, end its tokens if it ended, run the hooks."""
    grant = event.grant
    values = _row_values(grant)
    if event.previous is None:
        conn.execute(insert(grants).values(id=grant.id, person_id=grant.person_id, **values))
    else:
        # Only an active grant changes; a concurrent revoke makes this update match nothing.
        result = conn.execute(
            update(grants).where(grants.c.id == grant.id, GRANT_IS_ACTIVE).values(**values)
        )
        if result.rowcount != 1:
            raise GrantNotActive(grant.id)
    if grant.state is not GrantState.ACTIVE:
        revoke_grant_tokens(conn, grant.id, event.at)
    for hook in hooks:
        hook(conn, event)


def _row_values(grant: Grant) -> dict[str, Any]:
    return {
        "organisation_id": grant.organisation_id,
        "client_id": grant.client_id,
        "scope": str(grant.scopes),
        "purpose": grant.purpose,
        "state": grant.state.value,
        "created_at": grant.created_at,
        "updated_at": grant.updated_at,
        "expires_at": grant.expires_at,
        "revoked_at": grant.revoked_at,
        "revoked_by": None if grant.revoked_by is None else grant.revoked_by.value,
        "last_access_at": grant.last_access_at,
    }


def grants_query() -> Select[Any]:
    return select(grants, organisations.c.name.label("organisation_name")).join(
        organisations, organisations.c.id == grants.c.organisation_id
    )


def grant_from_row(row: Any, now: datetime) -> Grant:
    """A grant as stored, with an active grant past its expiry reported as expired."""
    state = GrantState(row.state)
    if state is GrantState.ACTIVE and row.expires_at <= now:
        state = GrantState.EXPIRED
    return Grant(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation_name,
        client_id=row.client_id,
        scopes=ScopeSet.parse(row.scope),
        purpose=row.purpose,
        state=state,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=None if row.revoked_by is None else Actor(row.revoked_by),
        last_access_at=row.last_access_at,
    )


def expire_due(
    conn: Connection, now: datetime, hooks: Sequence[GrantHook], *, person_id: str | None = None
) -> list[Grant]:
    """Mark grants past their expiry as expired (each with its event); returns them."""
    query = grants_query().where(GRANT_IS_ACTIVE, grants.c.expires_at <= now)
    if person_id is not None:
        query = query.where(grants.c.person_id == person_id)
    expired = []
    for row in conn.execute(query).all():
        before = grant_from_row(row, now)
        after = _ended(before, GrantState.EXPIRED, None, now)
        try:
            change_grant(
                conn, GrantEvent(GrantEventKind.EXPIRED, after, before, Actor.SERVICE, now), hooks
            )
        except GrantNotActive:
            # A concurrent transaction (another process's sweep, a revocation) ended it first;
            # nothing was written for it here, so the rest of the sweep goes on.
            continue
        expired.append(after)
    return expired


def end_grant(
    conn: Connection,
    grant: Grant,
    actor: Actor,
    now: datetime,
    hooks: Sequence[GrantHook],
    kind: GrantEventKind = GrantEventKind.REVOKED,
) -> Grant:
    """Revoke an active grant (and so its tokens); an ended grant is returned unchanged.

    `kind` is REVOKED, or ERASED when the revocation is part of erasing the person's account.
    """
    if grant.state is not GrantState.ACTIVE:
        return grant
    after = _ended(grant, GrantState.REVOKED, actor, now)
    change_grant(conn, GrantEvent(kind, after, grant, actor, now), hooks)
    return after


def _ended(grant: Grant, state: GrantState, actor: Actor | None, now: datetime) -> Grant:
    revoked = state is GrantState.REVOKED
    return replace(
        grant,
        state=state,
        updated_at=now,
        revoked_at=now if revoked else None,
        revoked_by=actor if revoked else None,
    )
