"""Self-service password recovery with a one-time recovery code. No HTTP here: routes translate.

There is no e-mail or SMS to send a reset link to, so the person keeps a code instead: one is
made at sign-up (or later, from settings, with the password) and shown once; only its argon2id
hash is stored. Recovering sets a new password, signs every session out, spends the code and
makes the next one, shown once in turn.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from consent.storage import utcnow
from crypto.lookup import blind_index
from crypto.passwords import check_password_policy
from crypto.recovery_codes import canonical_recovery_code, new_recovery_code
from pds.people.models import people, sessions
from pds.people.service import PeopleService, normalise_email, sign_in_key

RECOVERY = "account.recovery"
NEW_CODE = "account.recovery_code"
REFUSED = "invalid_recovery_code"


class RecoveryFailed(Exception):
    """Unknown account, or a wrong or spent code (deliberately not saying which)."""


class AccountRecovery:
    """Recovery codes: made at sign-up or on request, spent by a password reset."""

    def __init__(self, people_service: PeopleService) -> None:
        self.people = people_service

    def _new_code(self) -> tuple[str, str]:
        """(the code to show, the hash to store)."""
        code = new_recovery_code()
        return code, self.people.hasher.hash(canonical_recovery_code(code))

    def sign_up(self, email: str, password: str) -> tuple[str, str]:
        """Create a person's account with a recovery code: (person id, code to show once)."""
        code, code_hash = self._new_code()
        return self.people.sign_up(email, password, recovery_hash=code_hash), code

    def replace_code(self, person_id: str, password: str) -> str:
        """A new code for a person who proves their password; the old one stops working."""
        service = self.people
        service.require_password(person_id, password, NEW_CODE)
        code, code_hash = self._new_code()
        with service.db.write() as conn:
            conn.execute(
                update(people).where(people.c.id == person_id).values(recovery_hash=code_hash)
            )
            service.log_own(conn, NEW_CODE, person_id, service.role_of(conn, person_id))
        return code

    def recover(self, email: str, code: str, new_password: str) -> str:
        """Set a new password with the account's recovery code; returns the next code.

        Unknown accounts, accounts without a code and wrong codes cost the same argon2id work
        and fail alike.
        """
        check_password_policy(new_password)
        typed = canonical_recovery_code(code)
        service = self.people
        index = blind_index(service.keys.index_key, normalise_email(email))
        with service.db.read() as conn:
            found = conn.execute(
                select(people.c.id, people.c.role, people.c.recovery_hash).where(
                    people.c.email_index == index
                )
            ).first()
        if found is None or found.recovery_hash is None:
            service.hasher.verify_absent(typed)
        elif service.hasher.verify(found.recovery_hash, typed):
            next_code = self._reset(found.id, found.recovery_hash, new_password)
            if next_code is not None:
                # The paused sign-in's way out, as its message says: the new password works now.
                service.failures.succeeded(sign_in_key(email))
                return next_code
        self._refused(found.id if found is not None else None)
        raise RecoveryFailed

    def _reset(self, person_id: str, spent_hash: str, new_password: str) -> str | None:
        """Spend the code and set the password, or None if a concurrent reset spent it first."""
        service = self.people
        password_hash = service.hasher.hash(new_password)
        code, code_hash = self._new_code()
        with service.db.write() as conn:
            spent = conn.execute(
                update(people)
                .where(people.c.id == person_id, people.c.recovery_hash == spent_hash)
                .values(
                    password_hash=password_hash,
                    password_changed_at=utcnow(),
                    recovery_hash=code_hash,
                )
            )
            if spent.rowcount != 1:
                return None
            # Whoever knew the old password may hold a session: every one of them ends.
            conn.execute(delete(sessions).where(sessions.c.person_id == person_id))
            service.log_own(conn, RECOVERY, person_id, service.role_of(conn, person_id))
        return code

    def _refused(self, person_id: str | None) -> None:
        """The failed attempt in the person's log (or with no subject, for an unknown address)."""
        service = self.people
        with service.db.write() as conn:
            if person_id is None:
                refused = service.audit.event(conn, RECOVERY, None)
                service.audit.append(conn, refused.denied(REFUSED))
            else:
                role = service.role_of(conn, person_id)
                service.log_own(conn, RECOVERY, person_id, role, reason=REFUSED)
