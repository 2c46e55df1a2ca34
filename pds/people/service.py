"""Sign-up, sign-in, sessions and roles. No HTTP here: routes translate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from consent.audit.log import ActorType, AuditEvent
from consent.storage import new_id, utcnow
from crypto.aead import decrypt, encrypt
from crypto.lookup import blind_index, random_token, token_hash
from crypto.passwords import PasswordHasher, check_password_policy
from pds.audit.trail import AuditTrail
from pds.db import Database
from pds.keystore import KeyStore
from pds.people.datakeys import create_data_key, load_data_key
from pds.people.models import people, sessions
from pds.people.sign_in_failures import SignInFailures, TooManySignInFailures


class Role(StrEnum):
    PERSON = "person"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who a signed-in request acts for."""

    person_id: str
    role: Role
    # This request moved the session's expiry on: its cookie must be sent again with it.
    renewed: bool = False


class EmailAlreadyRegistered(Exception):
    """Sign-up with an address that already has an account."""


class InvalidCredentials(Exception):
    """Wrong email or password (deliberately not saying which)."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def sign_in_key(email: str, device: str | None = None) -> str:
    """What a sign-in attempt is counted under: the vouched-for browser, else the account."""
    return f"device:{device}" if device else f"account:{normalise_email(email)}"


def _email_aad(person_id: str) -> bytes:
    return b"pds.email.v1\x1f" + person_id.encode()


class PeopleService:
    """Accounts and server-side sessions."""

    def __init__(
        self,
        db: Database,
        keys: KeyStore,
        hasher: PasswordHasher,
        session_ttl: timedelta,
        audit: AuditTrail,
        failures: SignInFailures | None = None,
    ) -> None:
        self.db = db
        self.keys = keys
        self.hasher = hasher
        self.session_ttl = session_ttl
        self.audit = audit
        self.failures = failures or SignInFailures(limit=0, window_seconds=0)

    def sign_up(
        self,
        email: str,
        password: str,
        role: Role = Role.PERSON,
        *,
        recovery_hash: str | None = None,
    ) -> str:
        """Create an account and its data key; returns the new person id.

        `recovery_hash` is the hashed recovery code `pds.people.recovery` made for the account.
        """
        check_password_policy(password)
        email = normalise_email(email)
        password_hash = self.hasher.hash(password)  # outside the write lock: ~100 ms of CPU
        person_id = new_id()
        now = utcnow()
        index = blind_index(self.keys.index_key, email)
        # Nobody is signed in yet, so a refused sign-up has no known actor or subject.
        refused = self._anonymous("account.signup")
        try:
            with (
                self.audit.denials(refused, {EmailAlreadyRegistered: "email_taken"}),
                self.db.write() as conn,
            ):
                if conn.execute(select(people.c.id).where(people.c.email_index == index)).first():
                    raise EmailAlreadyRegistered
                conn.execute(
                    insert(people).values(
                        id=person_id,
                        email_index=index,
                        email_ct=b"",
                        password_hash=password_hash,
                        role=role.value,
                        created_at=now,
                        password_changed_at=now,
                        recovery_hash=recovery_hash,
                    )
                )
                data_key = create_data_key(conn, self.keys, person_id)
                conn.execute(
                    update(people)
                    .where(people.c.id == person_id)
                    .values(email_ct=encrypt(data_key, email.encode(), _email_aad(person_id)))
                )
                self.log_own(conn, "account.signup", person_id, role, data_key=data_key)
        except IntegrityError:  # a concurrent sign-up with the same address won the race
            self.audit.record(refused, "email_taken")
            raise EmailAlreadyRegistered from None
        return person_id

    def _refuse_sign_in(self, person_id: str | None, reason: str) -> None:
        """The refused sign-in's entry: about the account if it exists, else without subject."""
        with self.db.write() as conn:
            if person_id is None:
                refused = self._anonymous("session.signin")(conn)
                self.audit.append(conn, refused.denied(reason))
            else:
                role = self.role_of(conn, person_id)
                self.log_own(conn, "session.signin", person_id, role, reason=reason)

    def _anonymous(self, action: str) -> Callable[[Connection], AuditEvent]:
        return lambda conn: self.audit.event(conn, action, None)

    def log_own(
        self,
        conn: Connection,
        action: str,
        person_id: str,
        role: Role | str,
        *,
        data_key: bytes | None = None,
        reason: str | None = None,
    ) -> None:
        """An entry about the person, done by the person (in the role they act in)."""
        event = self.audit.event(
            conn, action, person_id, data_key=data_key, actor_type=ActorType(Role(role).value)
        )
        self.audit.append(conn, event if reason is None else event.denied(reason))

    def exists(self, email: str) -> bool:
        with self.db.read() as conn:
            return self._find(conn, email) is not None

    def _find(self, conn: Connection, email: str) -> tuple[str, str, str] | None:
        index = blind_index(self.keys.index_key, normalise_email(email))
        row = conn.execute(
            select(people.c.id, people.c.password_hash, people.c.role).where(
                people.c.email_index == index
            )
        ).first()
        return None if row is None else (row.id, row.password_hash, row.role)

    def _check_credentials(self, email: str, password: str) -> tuple[Principal | None, str | None]:
        """(principal, None) when right; (None, person id or None if unknown) when wrong.

        Unknown accounts cost the same argon2id work as known ones.
        """
        with self.db.read() as conn:
            found = self._find(conn, email)
        if found is None:
            self.hasher.verify_absent(password)
            return None, None
        person_id, password_hash, role = found
        if not self.hasher.verify(password_hash, password):
            return None, person_id
        return Principal(person_id=person_id, role=Role(role)), person_id

    def sign_in(
        self, email: str, password: str, device: str | None = None
    ) -> tuple[str, Principal]:
        """Authenticate and open a session; returns the session token for the cookie.

        Success and failure are both audited; a failure for an unknown account has no subject.
        Attempts are counted per account, or per `device` (a browser a device cookie vouches
        for): one with too many recent failures is refused before the password is checked, in
        the same steps for known and unknown accounts (its entry has no subject).
        """
        counted = sign_in_key(email, device)
        try:
            self.failures.attempt(counted)
        except TooManySignInFailures:
            self._refuse_sign_in(None, "too_many_failures")
            raise
        principal, person_id = self._check_credentials(email, password)
        if principal is None:
            self._refuse_sign_in(person_id, "invalid_credentials")
            raise InvalidCredentials
        self.failures.succeeded(counted)
        token = random_token()
        with self.db.write() as conn:
            self._insert_session(conn, token, principal.person_id)
            self.log_own(conn, "session.signin", principal.person_id, principal.role)
        return token, principal

    @staticmethod
    def role_of(conn: Connection, person_id: str) -> str:
        return str(conn.execute(select(people.c.role).where(people.c.id == person_id)).scalar_one())

    def open_session(self, person_id: str) -> str:
        """A session for a person who just proved who they are (sign-up is its audit entry)."""
        token = random_token()
        with self.db.write() as conn:
            self._insert_session(conn, token, person_id)
        return token

    def _insert_session(self, conn: Connection, token: str, person_id: str) -> None:
        now = utcnow()
        conn.execute(
            insert(sessions).values(
                token_hash=token_hash(token),
                person_id=person_id,
                created_at=now,
                expires_at=now + self.session_ttl,
            )
        )

    def resolve_session(self, token: str) -> Principal | None:
        """The principal behind a session cookie, or None if unknown or expired.

        Expiry slides: a session used in the second half of its life is extended.
        """
        digest = token_hash(token)
        now = utcnow()
        with self.db.read() as conn:
            row = conn.execute(
                select(sessions.c.person_id, sessions.c.expires_at, people.c.role)
                .join(people, people.c.id == sessions.c.person_id)
                .where(sessions.c.token_hash == digest)
            ).first()
        if row is None or row.expires_at <= now:
            return None
        if row.expires_at - now < self.session_ttl / 2:
            with self.db.write() as conn:
                conn.execute(
                    update(sessions)
                    .where(sessions.c.token_hash == digest)
                    .values(expires_at=now + self.session_ttl)
                )
            return Principal(person_id=row.person_id, role=Role(row.role), renewed=True)
        return Principal(person_id=row.person_id, role=Role(row.role))

    def sign_out(self, token: str) -> None:
        digest = token_hash(token)
        with self.db.write() as conn:
            row = conn.execute(
                select(sessions.c.person_id, people.c.role)
                .join(people, people.c.id == sessions.c.person_id)
                .where(sessions.c.token_hash == digest)
            ).first()
            if row is None:  # not a session: nothing happened, nothing to record
                return
            conn.execute(delete(sessions).where(sessions.c.token_hash == digest))
            self.log_own(conn, "session.signout", row.person_id, row.role)

    def verify_password(self, person_id: str, password: str) -> bool:
        with self.db.read() as conn:
            stored = conn.execute(
                select(people.c.password_hash).where(people.c.id == person_id)
            ).scalar_one_or_none()
        if stored is None:
            self.hasher.verify_absent(password)
            return False
        return self.hasher.verify(stored, password)

    def require_password(self, person_id: str, password: str, action: str) -> None:
        """`InvalidCredentials`, recorded as a refused `action`, unless the password is right.

        A signed-in session's guesses at the password are counted per account, like sign-ins:
        a phone left signed in cannot try passwords at leisure."""
        counted = f"password-check:{person_id}"
        try:
            self.failures.attempt(counted)
        except TooManySignInFailures:
            with self.db.write() as conn:
                role = self.role_of(conn, person_id)
                self.log_own(conn, action, person_id, role, reason="too_many_failures")
            raise
        if not self.verify_password(person_id, password):
            with self.db.write() as conn:
                role = self.role_of(conn, person_id)
                self.log_own(conn, action, person_id, role, reason="invalid_credentials")
            raise InvalidCredentials
        self.failures.succeeded(counted)

    def change_password(self, person_id: str, current: str, new: str, keep_token: str) -> None:
        """Replace the password and end every other session of the person."""
        self.require_password(person_id, current, "account.password")
        check_password_policy(new)
        new_hash = self.hasher.hash(new)
        with self.db.write() as conn:
            self.log_own(conn, "account.password", person_id, self.role_of(conn, person_id))
            conn.execute(
                update(people)
                .where(people.c.id == person_id)
                .values(password_hash=new_hash, password_changed_at=utcnow())
            )
            conn.execute(
                delete(sessions).where(
                    sessions.c.person_id == person_id,
                    sessions.c.token_hash != token_hash(keep_token),
                )
            )

    def email_of(self, conn: Connection, person_id: str) -> str:
        blob = conn.execute(select(people.c.email_ct).where(people.c.id == person_id)).scalar_one()
        data_key = load_data_key(conn, self.keys, person_id)
        return decrypt(data_key, bytes(blob), _email_aad(person_id)).decode()

    def profile(self, person_id: str) -> dict[str, object]:
        with self.db.read() as conn:
            row = conn.execute(
                select(people.c.role, people.c.created_at).where(people.c.id == person_id)
            ).one()
            email = self.email_of(conn, person_id)
        return {"id": person_id, "email": email, "role": row.role, "created_at": row.created_at}

    def purge_expired_sessions(self) -> int:
        with self.db.write() as conn:
            result = conn.execute(delete(sessions).where(sessions.c.expires_at <= utcnow()))
        return result.rowcount or 0
