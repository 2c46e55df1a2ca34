"""Password policy and argon2id password hashing (argon2-cffi)."""

from __future__ import annotations

import secrets
import unicodedata

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8
# An upper bound keeps hashing cost bounded; passwords are never silently truncated.
MAX_PASSWORD_LENGTH = 1024


class PasswordPolicyError(ValueError):
    """A proposed password does not meet the policy; the message says why."""


def check_password_policy(password: str) -> None:
    """Raise PasswordPolicyError unless the password has an acceptable length.

    Length is counted in Unicode characters (code points), not bytes, following NIST SP 800-63B:
    length is what matters, not composition rules.
    """
    length = len(password)
    if length < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters (got {length})"
        )
    if length > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"password must be at most {MAX_PASSWORD_LENGTH} characters (got {length})"
        )


def _normalise(password: str) -> str:
    # NFKC so the same password typed on different keyboards/OSes (composed vs decomposed
    # accents, full-width forms) hashes the same, as SP 800-63B recommends.
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    """argon2id hashing with verification that never raises for a wrong password or bad hash."""

    def __init__(
        self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 2
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # Same parameters as real hashes, so checking an unknown account costs the same time.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))

    def __repr__(self) -> str:
        p = self._hasher
        return (
            f"PasswordHasher(time_cost={p.time_cost}, memory_cost={p.memory_cost}, "
            f"parallelism={p.parallelism})"
        )

    def hash(self, password: str) -> str:
        """Return an argon2id PHC string for the password (random salt)."""
        return self._hasher.hash(_normalise(password))

    def verify(self, password_hash: str, password: str) -> bool:
        """Return True iff the password matches; False on mismatch or an unusable hash."""
        try:
            return self._hasher.verify(password_hash, _normalise(password))
        except (VerificationError, InvalidHashError, ValueError, TypeError):
            # ValueError covers a non-ASCII hash string; TypeError a non-str stored value.
            return False

    def verify_absent(self, password: str) -> bool:
        """Verify against a dummy hash so unknown accounts cost the same time; always False."""
        self.verify(self._dummy_hash, password)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Return True if the hash was made with other parameters (or cannot be parsed)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
