"""Tests for crypto.passwords: policy, argon2id hashing and constant-ish-time verification."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordHasher,
    PasswordPolicyError,
    check_password_policy,
)


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    # Cheap parameters keep the suite fast; production defaults are exercised once below.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_hash_and_verify(hasher: PasswordHasher) -> None:
    password_hash = hasher.hash("correct horse battery staple")
    assert password_hash.startswith("$argon2id$")
    assert hasher.verify(password_hash, "correct horse battery staple")
    assert not hasher.verify(password_hash, "correct horse battery stapler")
    assert not hasher.verify(password_hash, "")
    # Random salt: the same password never hashes the same twice.
    assert hasher.hash("correct horse battery staple") != password_hash


@settings(max_examples=25, deadline=None)
@given(password=st.text(min_size=1, max_size=60), other=st.text(max_size=60))
def test_round_trip_property(hasher: PasswordHasher, password: str, other: str) -> None:
    password_hash = hasher.hash(password)
    assert hasher.verify(password_hash, password)
    # Equal after NFKC normalisation is the same password (see test_unicode_normalisation).
    same = unicodedata.normalize("NFKC", other) == unicodedata.normalize("NFKC", password)
    assert hasher.verify(password_hash, other) == same


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        "garbage",
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=1,p=1$AAAA$BBBB",
        "\u00e9$argon2id",
        "$2b$12$abc",
    ],
)
def test_verify_returns_false_for_unusable_hashes(hasher: PasswordHasher, bad_hash: str) -> None:
    assert hasher.verify(bad_hash, "whatever password") is False


def test_long_passphrase_is_not_truncated(hasher: PasswordHasher) -> None:
    passphrase = "a long passphrase that keeps going " * 6
    passphrase = passphrase[:200]
    assert len(passphrase) == 200
    check_password_policy(passphrase)
    password_hash = hasher.hash(passphrase)
    assert hasher.verify(password_hash, passphrase)
    assert not hasher.verify(password_hash, passphrase + "x")
    assert not hasher.verify(password_hash, passphrase[:-1])
    assert not hasher.verify(password_hash, passphrase[:72])  # where bcrypt would truncate


def test_unicode_normalisation(hasher: PasswordHasher) -> None:
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    assert hasher.verify(hasher.hash(composed), decomposed)
    assert hasher.verify(hasher.hash(decomposed), composed)


def test_verify_absent_is_always_false(hasher: PasswordHasher) -> None:
    assert hasher.verify_absent("any password at all") is False
    assert hasher.verify_absent("") is False


def test_needs_rehash(hasher: PasswordHasher) -> None:
    password_hash = hasher.hash("a password of mine")
    assert not hasher.needs_rehash(password_hash)
    stronger = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    assert stronger.needs_rehash(password_hash)
    assert stronger.verify(password_hash, "a password of mine")  # old hashes still verify
    assert hasher.needs_rehash("garbage")


def test_default_parameters() -> None:
    default = PasswordHasher()
    password_hash = default.hash("a password of mine")
    assert "$m=65536,t=3,p=2$" in password_hash
    assert default.verify(password_hash, "a password of mine")
    assert "65536" in repr(default)


def test_policy_lengths() -> None:
    assert (MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) == (8, 1024)
    with pytest.raises(PasswordPolicyError, match="at least 8"):
        check_password_policy("7chars!")
    check_password_policy("8chars!!")
    check_password_policy("x" * 1024)
    with pytest.raises(PasswordPolicyError, match="at most 1024"):
        check_password_policy("x" * 1025)
    with pytest.raises(PasswordPolicyError):
        check_password_policy("")
    assert issubclass(PasswordPolicyError, ValueError)


def test_policy_counts_characters_not_bytes() -> None:
    check_password_policy("\u00e9" * 8)  # 16 bytes in UTF-8, 8 characters
    with pytest.raises(PasswordPolicyError):
        check_password_policy("\u00e9" * 7)  # 14 bytes, but only 7 characters
