"""The resource API's access decision, a hot path: bearer token → live grant → what it allows.

One indexed lookup per request (the token's hash, joined with its grant), compiled once and run
on the driver's cursor (`consent.prepared`). The grant is read on every call, so a revocation, a
narrowing or an expiry applies to the very next request. A token's effective scopes are the
scopes it was issued with intersected with its grant's current scopes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Connection, bindparam, select, update

from consent.grants import GRANT_IS_ACTIVE, grants
from consent.prepared import DriverStatement
from consent.scopes import Action, Scope, ScopeSet
from consent.storage import Timestamp, Transactions, to_micros, utcnow
from consent.tokens import oauth_tokens
from crypto.lookup import token_hash

# Longer strings are not tokens we issued; refusing them early bounds the work per request.
MAX_TOKEN_LENGTH = 256
# last_access_at is coarse on purpose: one write a minute per grant, not one per request.
ACCESS_NOTE_INTERVAL = timedelta(seconds=60)
_NOTE_INTERVAL_US = int(ACCESS_NOTE_INTERVAL.total_seconds() * 1_000_000)

_NOW = bindparam("now", type_=Timestamp())
_LOOKUP = DriverStatement(
    select(
        oauth_tokens.c.scope.label("token_scope"),
        oauth_tokens.c.person_id,
        oauth_tokens.c.client_id,
        grants.c.id.label("grant_id"),
        grants.c.scope.label("grant_scope"),
        grants.c.organisation_id,
        grants.c.purpose,
        grants.c.last_access_at,
    )
    .join(grants, grants.c.id == oauth_tokens.c.grant_id)
    .where(
        oauth_tokens.c.access_hash == bindparam("digest"),
        oauth_tokens.c.revoked_at.is_(None),
        oauth_tokens.c.access_expires_at > _NOW,
        GRANT_IS_ACTIVE,
        grants.c.expires_at > _NOW,
    )
)
# Best effort, never a wait: a grant row another transaction holds (another worker's group
# commit noting the same grant, or a revocation) is skipped. Waiting made group commits of two
# workers queue behind each other every minute, when every busy grant's note fell due at once,
# and two groups noting the same two grants in opposite orders deadlocked: PostgreSQL broke the
# cycle after its 1 s deadlock_timeout by failing one request. (SQLite has one writer and no row
# locks; the clause is left out there.)
_NOTE_ACCESS = DriverStatement(
    update(grants)
    .where(
        grants.c.id
        == select(grants.c.id)
        .where(grants.c.id == bindparam("grant_id"))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(last_access_at=bindparam("now", type_=Timestamp()))
)


class MissingAccessToken(Exception):
    """No bearer token was presented (RFC 6750 §3.1: answer without an error code)."""


class MalformedBearerRequest(Exception):
    """The token was not sent as RFC 6750 §2.1 asks (RFC 6750 `invalid_request`): another scheme,
    no token, characters outside b64token, two Authorization headers, or a second copy in the
    query or body."""


# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110
# §11.1). Compiled once: the organisation API checks it on every call.
_BEARER_CREDENTIALS = re.compile(r"(?i:bearer) +([A-Za-z0-9\-._~+/]+=*)")


def bearer_credentials(header: str) -> str:
    """The token of an Authorization header value, or `MalformedBearerRequest` unless it is one
    well-formed bearer credential."""
    match = _BEARER_CREDENTIALS.fullmatch(header)
    if match is None:
        raise MalformedBearerRequest
    return match.group(1)


class InvalidAccessToken(Exception):
    """Unknown, expired or revoked token, or its grant ended (RFC 6750 `invalid_token`)."""


class InsufficientScope(Exception):
    """The token is valid but does not allow this action (RFC 6750 `insufficient_scope`)."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(str(scope))
        self.scope = scope


@dataclass(frozen=True)
class AccessContext:
    """Who a valid token acts for and what it may do, right now."""

    person_id: str
    client_id: str
    organisation_id: str
    grant_id: str
    purpose: str
    scopes: ScopeSet

    def allows(self, record_type: str, action: Action) -> bool:
        return self.scopes.allows(record_type, action)

    def readable_types(self) -> frozenset[str]:
        return self.scopes.record_types(Action.READ)

    def require(self, record_type: str, action: Action) -> None:
        if not self.allows(record_type, action):
            raise InsufficientScope(Scope(record_type, action))


@lru_cache(maxsize=4096)
def _effective(token_scope: str, grant_scope: str) -> ScopeSet:
    # Pure function of two stored strings; most requests repeat a handful of them.
    return ScopeSet.parse(token_scope) & ScopeSet.parse(grant_scope)


class AccessChecker:
    """Turns a bearer token into an AccessContext, or refuses it."""

    def __init__(self, db: Transactions, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def authenticate(self, token: str | None) -> AccessContext:
        """Check the token in a read transaction (noting the access, when due, in a write)."""
        now = self.clock()
        with self.db.read() as conn:
            context, due = self._check(conn, token, now)
        if due:
            with self.db.write() as conn:
                _NOTE_ACCESS.execute(conn, grant_id=context.grant_id, now=to_micros(now))
        return context

    def authenticate_in(self, conn: Connection, token: str | None) -> AccessContext:
        """Check the token inside the caller's write transaction, which also notes the access."""
        now = self.clock()
        context, due = self._check(conn, token, now)
        if due:
            _NOTE_ACCESS.execute(conn, grant_id=context.grant_id, now=to_micros(now))
        return context

    @staticmethod
    def _check(conn: Connection, token: str | None, now: datetime) -> tuple[AccessContext, bool]:
        if not token:
            raise MissingAccessToken
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidAccessToken
        micros = to_micros(now)
        row = _LOOKUP.first(conn, digest=token_hash(token), now=micros)
        if row is None:
            raise InvalidAccessToken
        token_scope, person_id, client_id, grant_id, grant_scope, org_id, purpose, noted = row
        context = AccessContext(
            person_id=person_id,
            client_id=client_id,
            organisation_id=org_id,
            grant_id=grant_id,
            purpose=purpose,
            scopes=_effective(token_scope, grant_scope),
        )
        return context, noted is None or micros - int(noted) >= _NOTE_INTERVAL_US
