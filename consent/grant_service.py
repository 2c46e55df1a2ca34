"""What a person (and the consent screen) does with grants: approve, narrow, revoke, list."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from consent.grants import (
    GRANT_IS_ACTIVE,
    Actor,
    Grant,
    GrantEvent,
    GrantEventKind,
    GrantHook,
    GrantNotActive,
    GrantNotFound,
    GrantState,
    WideningRefused,
    change_grant,
    end_grant,
    expire_due,
    grant_from_row,
    grants,
    grants_query,
)
from consent.organisations import organisations, privacy_notices
from consent.purposes import validate_purpose
from consent.scopes import ScopeSet
from consent.storage import Transactions, new_id, utcnow

DEFAULT_DURATION = timedelta(days=90)
MAX_DURATION = timedelta(days=366)
MIN_DURATION = timedelta(days=1)


class InvalidDuration(ValueError):
    """An expiry outside what a person may choose (1 day to a year), or in the past."""


@dataclass(frozen=True)
class ConsentRequest:
    """What an organisation asks for in one authorization request."""

    person_id: str
    organisation_id: str
    client_id: str
    scopes: ScopeSet
    purpose: str


@dataclass(frozen=True)
class ConsentDifference:
    """What a new request changes relative to the active grant, for the consent screen."""

    existing: Grant | None
    already_shared: ScopeSet
    newly_requested: ScopeSet
    kept: ScopeSet  # in the grant, not asked for this time: stays as it is
    purpose_changes: bool


def consent_difference(existing: Grant | None, request: ConsentRequest) -> ConsentDifference:
    held = ScopeSet() if existing is None else existing.scopes
    return ConsentDifference(
        existing=existing,
        already_shared=request.scopes & held,
        newly_requested=request.scopes - held,
        kept=held - request.scopes,
        purpose_changes=existing is not None and existing.purpose != request.purpose,
    )


class GrantService:
    """Grants as a person sees and changes them. Every change runs the grant hooks."""

    def __init__(
        self,
        db: Transactions,
        *,
        hooks: list[GrantHook] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.hooks: list[GrantHook] = [] if hooks is None else hooks
        self.clock = clock

    def difference(self, request: ConsentRequest) -> ConsentDifference:
        with self.db.read() as conn:
            return consent_difference(self._active(conn, request, self.clock()), request)

    def approve(
        self,
        request: ConsentRequest,
        approved: ScopeSet,
        duration: timedelta | None = DEFAULT_DURATION,
    ) -> Grant:
        """Record the person's approval of (part of) a request; returns the resulting grant.

        Items the person unticked are not shared (and stop being shared if they were); items of
        the existing grant that were not asked for this time stay as they are. A `duration` of
        None keeps the existing grant's end date (a new grant gets the default).
        """
        if not approved or not approved.issubset(request.scopes):
            raise WideningRefused("approve a non-empty part of what was requested")
        if duration is not None and not MIN_DURATION <= duration <= MAX_DURATION:
            raise InvalidDuration("choose between a day and a year")
        validate_purpose(request.purpose)
        try:
            return self._approve(request, approved, duration)
        except IntegrityError:  # a concurrent approval (PostgreSQL) created the grant first
            return self._approve(request, approved, duration)

    def _approve(
        self, request: ConsentRequest, approved: ScopeSet, duration: timedelta | None
    ) -> Grant:
        with self.db.write() as conn:
            now = self.clock()
            expire_due(conn, now, self.hooks, person_id=request.person_id)
            existing = self._active(conn, request, now)
            if existing is None:
                grant = self._new_grant(conn, request, approved, now, duration or DEFAULT_DURATION)
                event = GrantEvent(GrantEventKind.CREATED, grant, None, Actor.PERSON, now)
            else:
                scopes = (existing.scopes - (request.scopes - approved)) | approved
                grant = replace(
                    existing,
                    client_id=request.client_id,
                    scopes=scopes,
                    purpose=request.purpose,
                    updated_at=now,
                    expires_at=existing.expires_at if duration is None else now + duration,
                )
                event = GrantEvent(GrantEventKind.AMENDED, grant, existing, Actor.PERSON, now)
            change_grant(conn, event, self.hooks)
        return grant

    @staticmethod
    def _new_grant(
        conn: Connection,
        request: ConsentRequest,
        approved: ScopeSet,
        now: datetime,
        duration: timedelta,
    ) -> Grant:
        name = conn.execute(
            select(organisations.c.name).where(organisations.c.id == request.organisation_id)
        ).scalar_one()
        return Grant(
            id=new_id(),
            person_id=request.person_id,
            organisation_id=request.organisation_id,
            organisation_name=name,
            client_id=request.client_id,
            scopes=approved,
            purpose=request.purpose,
            state=GrantState.ACTIVE,
            created_at=now,
            updated_at=now,
            expires_at=now + duration,
        )

    def _active(self, conn: Connection, request: ConsentRequest, now: datetime) -> Grant | None:
        row = conn.execute(
            grants_query().where(
                grants.c.person_id == request.person_id,
                grants.c.organisation_id == request.organisation_id,
                GRANT_IS_ACTIVE,
            )
        ).first()
        grant = None if row is None else grant_from_row(row, now)
        return grant if grant is not None and grant.state is GrantState.ACTIVE else None

    def narrow(
        self,
        person_id: str,
        grant_id: str,
        *,
        scopes: ScopeSet | None = None,
        expires_at: datetime | None = None,
    ) -> Grant:
        """Fewer scopes and/or an earlier expiry; anything wider raises WideningRefused."""
        with self.db.write() as conn:
            now = self.clock()
            grant = self._owned(conn, person_id, grant_id, now)
            if grant.state is not GrantState.ACTIVE:
                raise GrantNotActive(grant_id)
            narrowed = _narrowed(grant, scopes, expires_at, now)
            if narrowed == grant:
                return grant
            event = GrantEvent(GrantEventKind.NARROWED, narrowed, grant, Actor.PERSON, now)
            change_grant(conn, event, self.hooks)
        return narrowed

    def revoke(self, person_id: str, grant_id: str) -> Grant:
        """The person ends the grant; its tokens end in the same transaction. Idempotent."""
        with self.db.write() as conn:
            now = self.clock()
            return end_grant(
                conn, self._owned(conn, person_id, grant_id, now), Actor.PERSON, now, self.hooks
            )

    def revoke_as_service(self, conn: Connection, grant_id: str) -> None:
        """The service ends a grant for security (a replayed refresh token), in `conn`."""
        now = self.clock()
        row = conn.execute(grants_query().where(grants.c.id == grant_id)).first()
        if row is not None:
            end_grant(conn, grant_from_row(row, now), Actor.SERVICE, now, self.hooks)

    def revoke_all_for_person(self, conn: Connection, person_id: str) -> None:
        """Erasure: end every active grant of the person, inside the erasure's transaction."""
        now = self.clock()
        expire_due(conn, now, self.hooks, person_id=person_id)
        rows = conn.execute(
            grants_query().where(grants.c.person_id == person_id, GRANT_IS_ACTIVE)
        ).all()
        for row in rows:
            end_grant(
                conn,
                grant_from_row(row, now),
                Actor.PERSON,
                now,
                self.hooks,
                GrantEventKind.ERASED,
            )

    def expire_due(self) -> list[Grant]:
        """The periodic sweep: every grant past its end becomes expired, with its events."""
        with self.db.write() as conn:
            return expire_due(conn, self.clock(), self.hooks)

    def list_for_person(self, person_id: str) -> list[Grant]:
        """Every grant of the person, newest first (ended ones too: they are history)."""
        with self.db.read() as conn:
            rows = conn.execute(
                grants_query()
                .where(grants.c.person_id == person_id)
                .order_by(grants.c.created_at.desc(), grants.c.id)
            ).all()
        now = self.clock()
        return [grant_from_row(row, now) for row in rows]

    def privacy_notices(self, organisation_ids: Iterable[str]) -> dict[str, str]:
        """Where each organisation says how it looks after what it is given (its privacy policy,
        else its website), for the consent screen and the connections page."""
        with self.db.read() as conn:
            return privacy_notices(conn, organisation_ids)

    def get_for_person(self, person_id: str, grant_id: str) -> Grant:
        with self.db.read() as conn:
            return self._owned(conn, person_id, grant_id, self.clock())

    @staticmethod
    def _owned(conn: Connection, person_id: str, grant_id: str, now: datetime) -> Grant:
        row = conn.execute(
            grants_query().where(grants.c.id == grant_id, grants.c.person_id == person_id)
        ).first()
        if row is None:
            raise GrantNotFound(grant_id)
        return grant_from_row(row, now)


def _narrowed(
    grant: Grant, scopes: ScopeSet | None, expires_at: datetime | None, now: datetime
) -> Grant:
    new_scopes = grant.scopes if scopes is None else scopes
    if not new_scopes.issubset(grant.scopes):
        raise WideningRefused("a connection can only lose items here, never gain them")
    if not new_scopes:
        raise WideningRefused("to stop sharing everything, revoke the connection instead")
    new_expiry = grant.expires_at if expires_at is None else expires_at
    if new_expiry > grant.expires_at:
        raise WideningRefused("a connection can only end sooner here, never later")
    if new_expiry <= now:
        raise InvalidDuration("the new end must be in the future; to end it now, revoke it")
    if new_scopes == grant.scopes and new_expiry == grant.expires_at:
        return grant
    return replace(grant, scopes=new_scopes, expires_at=new_expiry, updated_at=now)
